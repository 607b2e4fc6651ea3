"""The pipeline is one package, a module per stage; removal of a source's evidence is coverage's own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection as db

from connections.models import Connection
from coverage.models import AcquisitionBatch, Record
from tests.coverage.conftest import IMMEDIATE, fixture_path, staged_rows

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "coverage" / "pipeline"


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 60
    ]


def test_each_stage_of_the_pipeline_is_a_short_module_of_its_own():
    modules = {p.stem: p for p in PIPELINE.glob("*.py")}
    stages = {"storage", "preview", "staging", "landing", "summaries", "commit", "live", "removal", "uploads"}
    assert stages <= set(modules)
    assert not (ROOT / "coverage" / "acquisition.py").exists()
    too_long = [f"{p.name} ({n} lines)" for p in modules.values() if (n := len(p.read_text().splitlines())) >= 500]
    assert too_long == []
    assert [f for p in modules.values() for f in _long_functions(p)] == []


def _imports(path: Path, package: str) -> set[str]:
    """Modules ``path`` imports (relative imports resolved; ``from . import x`` names the module x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def test_the_stages_import_each_other_one_way_only():
    """No cycle among the pipeline's modules and the task module (type-only imports count too)."""
    modules = {f"coverage.pipeline.{p.stem}": p for p in PIPELINE.glob("*.py") if p.stem != "__init__"}
    modules["coverage.tasks"] = ROOT / "coverage" / "tasks.py"
    graph = {
        name: {m for m in _imports(path, name.rpartition(".")[0]) if m in modules and m != name}
        for name, path in modules.items()
    }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and not seen.add(n) and reaches(n, goal, seen)) for n in graph[start])

    assert sorted(name for name in graph if reaches(name, name, set())) == []


def test_the_connections_app_deletes_no_coverage_rows_itself():
    services = ROOT / "connections" / "services.py"
    tree = ast.parse(services.read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert {m for m in imported if m and m.split(".")[0] == "coverage"} == set()
    assert "DELETE FROM" not in services.read_text()


@pytest.mark.django_db
def test_a_commit_queued_before_the_upgrade_still_lands(make_connection, settings):
    """Task rows store the task's path; ``coverage.tasks.commit_batch`` must still name the commit."""
    from django.utils.module_loading import import_string

    from coverage.pipeline import preview_artifact, start_commit

    task = import_string("coverage.tasks.commit_batch")
    assert task.module_path == "coverage.tasks.commit_batch"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    chat = make_connection("whatsapp")
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        batch = start_commit(preview_artifact(chat, source, "chat.txt"))
    assert batch.status == AcquisitionBatch.Status.COMMITTING

    assert task.call(batch.pk) == AcquisitionBatch.Status.COMMITTED


@pytest.mark.django_db
def test_staging_writes_through_the_writer_of_its_database():
    from coverage.pipeline import staging

    writer = staging.writer_for(1)
    expected = staging.PostgresStageWriter if db.vendor == "postgresql" else staging.SqliteStageWriter
    assert type(writer) is expected


@pytest.mark.django_db
def test_removing_a_source_through_coverage_leaves_nothing_of_it(
    make_connection, settings, django_capture_on_commit_callbacks
):
    from coverage.pipeline import preview_artifact, remove_connection, start_commit

    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}
    chat, kept = make_connection("whatsapp"), make_connection("whatsapp")
    for connection in (chat, kept):
        with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
            start_commit(preview_artifact(connection, source, "chat.txt"))
    with fixture_path("google_timeline", "records.json").open("rb") as source:
        waiting = preview_artifact(make_connection("google_timeline"), source, "records.json")
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        preview_artifact(chat, source, "chat.txt")  # the same file again: a duplicate, nothing stored
    stored = list(AcquisitionBatch.objects.filter(connection=chat).exclude(artifact_name="").values_list(
        "artifact_name", flat=True))
    held = Record.objects.filter(connection=kept).count()
    assert held > 0 and stored

    with django_capture_on_commit_callbacks(execute=True):
        remove_connection(chat)

    assert not Connection.objects.filter(pk=chat.pk).exists()
    assert not AcquisitionBatch.objects.filter(connection_id=chat.pk).exists()
    assert not Record.objects.filter(connection_id=chat.pk).exists()
    assert [n for n in stored if default_storage.exists(n)] == []
    assert Record.objects.filter(connection=kept).count() == held
    assert staged_rows(waiting.pk) > 0  # another source's preview is not touched


@pytest.mark.django_db
def test_an_operator_deleting_a_source_in_the_admin_removes_its_evidence_too(
    make_connection, settings, client, django_user_model, django_capture_on_commit_callbacks
):
    from coverage.pipeline import preview_artifact

    chat = make_connection("whatsapp")
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        waiting = preview_artifact(chat, source, "chat.txt")
    assert staged_rows(waiting.pk) > 0 and default_storage.exists(waiting.artifact_name)
    client.force_login(django_user_model.objects.create_superuser("op", password="pw"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/connections/connection/{chat.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Connection.objects.filter(pk=chat.pk).exists()
    assert staged_rows(waiting.pk) == 0
    assert not default_storage.exists(waiting.artifact_name)
