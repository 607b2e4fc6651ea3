"""A commit whose worker died is noticed and enqueued again; a live one is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from coverage.acquisition import preview_artifact, requeue_stalled, start_commit
from coverage.models import AcquisitionBatch, Record
from tests.coverage.conftest import fixture_path

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
