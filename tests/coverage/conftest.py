"""Fixtures for the acquisition pipeline: connections, stored artifacts, task backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from connections.models import Connection

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"
DUMMY = "django_tasks.backends.dummy.DummyBackend"


def fixture_path(connector: str, name: str) -> Path:
    return FIXTURES / connector / name


def staged_rows(batch_id: int | None = None) -> int:
    """Rows waiting in the staging table (all of them, or one batch's)."""
    with db.cursor() as cursor:
        if batch_id is None:
            cursor.execute("SELECT COUNT(*) FROM coverage_stagedrecord")
        else:
            cursor.execute("SELECT COUNT(*) FROM coverage_stagedrecord WHERE batch_id = %s", [batch_id])
        return cursor.fetchone()[0]


from tests.conftest import stored_files  # noqa: E402,F401 - re-exported for the pipeline tests


@pytest.fixture
def immediate_tasks(settings):
    """Enqueued tasks run at once, in this process (a commit returns committed)."""
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}


@pytest.fixture
def idle_tasks(settings):
    """Enqueued tasks are kept and never run (a commit stays committing, like a busy worker)."""
    settings.TASKS = {"default": {"BACKEND": DUMMY}}


@pytest.fixture
def make_connection(owner):
    """``make_connection(connector="whatsapp", slug=None, owner=None, name=None)``."""
    made = 0

    def make(connector: str = "whatsapp", slug: str | None = None, *, owner_=None, name: str | None = None):
        nonlocal made
        made += 1
        slug = slug or f"{connector.replace('_', '-')}-{made}"
        return Connection.objects.create(
            owner=owner_ or owner, connector=connector, slug=slug, name=name or f"{connector} {made}"
        )

    return make


@pytest.fixture
def chat(make_connection):
    return make_connection("whatsapp", "family-chat", name="Family chat")


@pytest.fixture
def timeline(make_connection):
    return make_connection("google_timeline", "timeline", name="My Timeline")


def migrate_to(target: tuple[str, str]):
    """Migrate the test database to ``target``; return the app registry of that state."""
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate([target])
    return MigrationExecutor(db).loader.project_state([target]).apps


@pytest.fixture
def back_to_latest():
    """A migration test leaves the database at the latest migration, as it found it."""
    yield
    call_command("migrate", verbosity=0)
