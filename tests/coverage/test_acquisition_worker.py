"""The commit runs in the real background worker (django-tasks database backend)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from coverage.models import AcquisitionBatch, CoverageSummary, Record
from coverage.pipeline import preview_artifact, start_commit
from tests.coverage.conftest import fixture_path, staged_rows

Status = AcquisitionBatch.Status


@pytest.mark.django_db(transaction=True)
def test_an_import_committed_through_the_worker_lands_once(chat, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        batch = preview_artifact(chat, source, "android_dayfirst_24h.txt")

    queued = start_commit(batch)
    assert queued.status == Status.COMMITTING  # visible to a poller until the worker runs
    assert Record.objects.count() == 0

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")

    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    assert batch.count_accepted == 20 and not batch.data_changed
    assert set(batch.phases) == {"received", "parsed", "deduplicated", "committed", "indexed", "health_projected"}
    assert Record.objects.count() == 20 and CoverageSummary.objects.get().record_count == 20
    assert staged_rows() == 0

    # Asking again (a double click, a retry) enqueues nothing new and changes nothing.
    assert start_commit(batch).status == Status.COMMITTED
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")
    assert Record.objects.count() == 20
