"""An export whose worker died is built again, so an owner is never left with "Being prepared" for ever.

A worker killed while it builds (or before it starts) leaves the export ``queued`` or ``building``,
and ``services.request_export`` hands that same export back to every later request: without this
the owner could never export again. The worker loop runs ``recover_exports`` every round (after
``connections.runtime.fail_tasks_of_gone_workers`` has marked the task rows of stopped workers
failed). An unfinished export with no task row waiting or running for it is enqueued again: every
task row of it that ended did so without finishing it (a build that ends, ends the export ``ready``
or ``failed``). After ``MAX_ATTEMPTS`` such builds it is ``failed``, and the owner may ask again
(an account whose export kills the worker must not kill it for ever). A build running on another
host whose task row has said nothing for ``STALLED_AFTER`` counts as stopped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from connections.runtime import every_round

from .models import Export

log = logging.getLogger(__name__)

# The task by its path, as the queue names it on its rows, looked up only to enqueue it: importing
# ``exports.tasks`` here would load the archive writer and the owner API (ninja, pydantic) into
# every process as the app starts, 15 MB each (``ExportsConfig.ready`` imports this module).
TASK_PATH = "exports.tasks.build_export"
WAITING = ("READY", "RUNNING")
MAX_ATTEMPTS = 3  # builds whose worker stopped, before the export is failed
GRACE = timedelta(minutes=1)  # a new export's task is enqueued once its request commits
STALLED_AFTER = timedelta(hours=2)  # a build on another host, never heard of since it started
CLOCK_SLACK = timedelta(minutes=5)  # hosts' clocks may differ: a task row may say it was enqueued before its export was made
FAILED_WORDS = "The worker stopped {n} times while preparing this export (see the task rows of exports.tasks.build_export)."


def recover_exports(now: datetime) -> list[int]:
    """Enqueue again the unfinished exports nothing is building; returns their ids."""
    unfinished = list(Export.objects.filter(status__in=[Export.Status.QUEUED, Export.Status.BUILDING],
                                            created_at__lte=now - GRACE).values_list("pk", flat=True))
    if not unfinished:
        return []
    rows = _task_rows(unfinished, now)
    again = []
    for export_id in unfinished:
        states = rows.get(export_id, [])
        if "waiting" in states:
            continue
        stopped = len(states)  # every one ended without finishing the export
        with transaction.atomic():
            if stopped >= MAX_ATTEMPTS:
                Export.objects.filter(pk=export_id, status__in=[Export.Status.QUEUED, Export.Status.BUILDING]).update(
                    status=Export.Status.FAILED, finished_at=now, error=FAILED_WORDS.format(n=stopped))
                log.warning("export %s failed: its worker stopped %d times", export_id, stopped)
                continue
            if Export.objects.filter(pk=export_id, status__in=[Export.Status.QUEUED, Export.Status.BUILDING]).update(
                    status=Export.Status.QUEUED):
                transaction.on_commit(lambda pk=export_id: import_string(TASK_PATH).enqueue(pk))
                again.append(export_id)
    if again:
        log.warning("enqueued again %d export(s) whose worker stopped", len(again))
    return again


def _task_rows(export_ids: list[int], now: datetime) -> dict[int, list[str]]:
    """For each export, its build tasks as "waiting" (ready, or running and heard of within
    ``STALLED_AFTER``) or "stopped" (ended without finishing it: its worker stopped, or it raised).

    Only the rows of these exports are read: the database picks them by their argument, among
    those enqueued since the oldest of them was made (the task table keeps every task's row,
    and this runs every round while a long build is unfinished).
    """
    wanted = set(export_ids)
    found: dict[int, list[str]] = {}
    oldest = Export.objects.filter(pk__in=export_ids).aggregate(oldest=Min("created_at"))["oldest"]
    if oldest is None:
        return found
    rows = DBTaskResult.objects.filter(
        task_path=TASK_PATH, enqueued_at__gte=oldest - CLOCK_SLACK, args_kwargs__args__0__in=export_ids,
    ).values_list("status", "args_kwargs", "started_at")
    for status, args_kwargs, started_at in rows.iterator():
        args = (args_kwargs or {}).get("args") or []
        if len(args) != 1 or args[0] not in wanted:
            continue
        silent = status == "RUNNING" and started_at is not None and now - started_at > STALLED_AFTER
        found.setdefault(args[0], []).append("waiting" if status in WAITING and not silent else "stopped")
    return found


def register() -> None:
    """Give the worker loop the exports app's job."""
    every_round("exports.recover", recover_exports)
