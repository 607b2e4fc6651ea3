"""A commit whose worker died is noticed and enqueued again; a live one is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection as db
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from coverage.acquisition import land_batch, preview_artifact, requeue_stalled, start_commit
from coverage.models import AcquisitionBatch, Record
from tests.coverage.conftest import fixture_path, staged_rows

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_commit_left_behind_by_a_dead_worker_is_finished_later(chat, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        batch = start_commit(preview_artifact(chat, source, "chat.txt"))
    assert batch.status == "committing" and batch.commit_requested_at is not None
    DBTaskResult.objects.all().delete()  # the worker that took the task died with it

    assert requeue_stalled(timezone.now()) == []  # not stalled yet: it may still be running
    later = timezone.now() + timedelta(minutes=11)
    assert requeue_stalled(later) == [batch.pk]
    assert requeue_stalled(later) == []  # asked again just now: not twice in one window
    assert DBTaskResult.objects.count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")
    batch.refresh_from_db()
    assert batch.status == AcquisitionBatch.Status.COMMITTED
    assert Record.objects.count() == 20


def test_a_commit_whose_staged_rows_were_lost_reads_the_stored_file_again(chat, settings):
    """PostgreSQL empties the (unlogged) staging table after a server crash: nothing is lost."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        preview = preview_artifact(chat, source, "chat.txt")
    assert preview.count_accepted == 20
    with db.cursor() as cursor:  # what a crash restart does to an unlogged table
        cursor.execute("DELETE FROM coverage_stagedrecord")
    batch = start_commit(preview)
    landed = land_batch(batch.pk)
    assert landed.status == AcquisitionBatch.Status.COMMITTED
    assert (landed.count_accepted, landed.data_changed) == (20, False)
    assert Record.objects.filter(connection=chat).count() == 20
    assert staged_rows() == 0


def test_a_commit_whose_staged_rows_and_file_are_gone_says_the_data_changed(chat, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with fixture_path("whatsapp", "android_dayfirst_24h.txt").open("rb") as source:
        preview = preview_artifact(chat, source, "chat.txt")
    with db.cursor() as cursor:
        cursor.execute("DELETE FROM coverage_stagedrecord")
    default_storage.delete(preview.artifact_name)
    landed = land_batch(start_commit(preview).pk)
    assert landed.status == AcquisitionBatch.Status.COMMITTED
    assert (landed.count_accepted, landed.data_changed) == (0, True)
    assert Record.objects.filter(connection=chat).count() == 0
