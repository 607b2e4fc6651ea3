"""Who is landing a commit, and picking up commits whose process is gone.

A process that lands a ``committing`` batch claims it first (``landing``): the batch's
``claimed_by`` names the process (``connections.runtime.PROCESS``, ``host:pid:start``) and
``claimed_at`` the moment. On PostgreSQL the claimer also holds a session advisory lock
on the batch for as long as it lands; the server drops it when the process dies, on any
host, and the session checks every second whether its client is still there, so a
killed worker's query stops within a second instead of running to its end.

``recover`` (called by ``commit.requeue_stalled``, which the worker runs at start-up
and every round) then tells a claim whose process is gone from a live one:

- PostgreSQL: the advisory lock is free (waiting a few seconds when the claimer's pid is
  known dead on this host but its last query is still being stopped);
- other databases: the claimer ran on this host and its process has ended (pid gone, or
  the pid now belongs to a process started later), or, for another host, the claim is
  older than ``older_than``.

A batch so abandoned loses its claim in one guarded update (only if it still names the
dead process), its task rows still marked ``RUNNING`` are marked ``FAILED`` (the error
says the worker stopped), and, while it is still ``committing``, its commit is enqueued
again in the same transaction. A batch nobody claimed (its task was never picked up, or
its worker died before claiming) is enqueued again after ``UNCLAIMED_GRACE`` when no task
for it exists, or after ``older_than`` when one is still marked running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import OperationalError, transaction
from django.db import connection as db
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.runtime import PROCESS, WorkerGone, process_gone

from ..models import AcquisitionBatch

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
UNCLAIMED_GRACE = timedelta(minutes=1)  # a committing batch with no task and no claimer
DEAD_QUERY_WAIT_MS = 5_000  # PostgreSQL: time for a dead claimer's last query to be stopped
_LOCK_SPACE = 0x0C1A  # first key of the advisory locks on batches


def _lock_key(batch_id: int) -> tuple[int, int]:
    return _LOCK_SPACE, (int(batch_id) + 2**31) % 2**32 - 2**31


@contextmanager
def landing(batch_id: int) -> Iterator[None]:
    """Claim ``batch_id`` for this process while the block lands it; let go afterwards.

    Waits while another live process lands the same batch (PostgreSQL), so two tasks for one
    batch land it once. Use it around ``land_batch`` wherever a process lands a batch.
    """
    with batch_lock(batch_id, "claimed_by", notice_gone_clients=True):
        AcquisitionBatch.objects.filter(pk=batch_id, status=Status.COMMITTING).update(
            claimed_by=PROCESS, claimed_at=timezone.now()
        )
        yield


@contextmanager
def batch_lock(batch_id: int, field: str, *, notice_gone_clients: bool = False) -> Iterator[None]:
    """Hold the batch's advisory lock while the block runs (PostgreSQL; SQLite writes one at a time).

    Afterwards the claim in ``field`` (``claimed_by`` or ``read_by``) is let go if this process
    holds it. ``notice_gone_clients`` has the server check the connection while it waits, so a
    killed waiter does not keep its place in the queue.
    """
    postgres = db.vendor == "postgresql"
    if postgres:
        with db.cursor() as cursor:
            if notice_gone_clients and db.pg_version >= 140000:
                cursor.execute("SET client_connection_check_interval = 1000")
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", _lock_key(batch_id))
    try:
        yield
    finally:
        try:
            AcquisitionBatch.objects.filter(pk=batch_id, **{field: PROCESS}).update(**{field: ""})
            if postgres:
                with db.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _lock_key(batch_id))
        except Exception:  # noqa: BLE001 - a broken session lets go of its lock when it closes
            log.exception("batch %s: could not let go of %s", batch_id, field)
            db.close()


def queued_batches(task_path: str, status: str) -> set[int]:
    """The batch ids of the queue's ``task_path`` tasks in ``status`` (each task's first argument)."""
    tasks = DBTaskResult.objects.filter(task_path=task_path, status=status).values_list("args_kwargs", flat=True)
    return {((args or {}).get("args") or [None])[0] for args in tasks}


def recover(
    now: datetime, *, older_than: timedelta, task_path: str, enqueue: Callable[[int], object]
) -> list[int]:
    """Take over commits whose process is gone (see the module text); returns the batch ids enqueued."""
    ready, running = queued_batches(task_path, "READY"), queued_batches(task_path, "RUNNING")
    requeued = []
    candidates = AcquisitionBatch.objects.filter(Q(status=Status.COMMITTING) | ~Q(claimed_by="")).values_list(
        "pk", "status", "claimed_by", "claimed_at", "commit_requested_at", "created_at"
    )
    for batch_id, status, claimed_by, claimed_at, asked, created_at in candidates:
        if claimed_by:
            if not _claimer_gone(batch_id, claimed_by, claimed_at, now, older_than):
                continue
        elif batch_id in ready:
            continue  # a worker will take it
        elif now - (asked or created_at) <= (older_than if batch_id in running else UNCLAIMED_GRACE):
            continue
        committing = status == Status.COMMITTING
        if _take_over(batch_id, claimed_by, asked, now, task_path, enqueue if committing else None) and committing:
            requeued.append(batch_id)
    return requeued


def _claimer_gone(batch_id: int, claimed_by: str, claimed_at, now: datetime, older_than: timedelta) -> bool:
    gone = process_gone(claimed_by)
    if db.vendor == "postgresql":
        return _lock_free(batch_id, wait_ms=DEAD_QUERY_WAIT_MS if gone else 0)
    if gone is None:  # another host, and no lock to ask
        return claimed_at is None or now - claimed_at > older_than
    return gone


def _lock_free(batch_id: int, *, wait_ms: int) -> bool:
    """PostgreSQL: whether no session holds the batch's advisory lock (waiting up to ``wait_ms``)."""
    try:
        with transaction.atomic(), db.cursor() as cursor:
            if not wait_ms:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _lock_key(batch_id))
                return bool(cursor.fetchone()[0])
            cursor.execute(f"SET LOCAL lock_timeout = {int(wait_ms)}")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _lock_key(batch_id))
            return True
    except OperationalError:  # lock_timeout: still held
        return False


def _take_over(
    batch_id: int,
    claimed_by: str,
    asked: datetime | None,
    now: datetime,
    task_path: str,
    enqueue: Callable[[int], object] | None,
) -> bool:
    """Drop a dead claim, close its running task rows and enqueue the commit again.

    The update is guarded by what was read (the claim; for an unclaimed batch, when its
    commit was last asked for), so two workers sweeping at once take a batch over once.
    """
    with transaction.atomic():
        if db.features.has_select_for_update_skip_locked and not list(
            AcquisitionBatch.objects.select_for_update(skip_locked=True).filter(pk=batch_id).values_list("pk")
        ):
            return False  # a landing holds the row right now (one that never claimed it, like a script's)
        rows = AcquisitionBatch.objects.filter(pk=batch_id, claimed_by=claimed_by)
        if enqueue is None:
            taken = rows.update(claimed_by="")
        else:
            rows = rows.filter(status=Status.COMMITTING)
            if not claimed_by:
                rows = rows.filter(commit_requested_at=asked) if asked else rows.filter(commit_requested_at__isnull=True)
            taken = rows.update(claimed_by="", commit_requested_at=now)
        if not taken:
            return False
        who = f"the worker {claimed_by}" if claimed_by else "its worker"
        for task_id, args_kwargs in DBTaskResult.objects.filter(task_path=task_path, status="RUNNING").values_list(
            "pk", "args_kwargs"
        ):
            if ((args_kwargs or {}).get("args") or [None])[0] != batch_id:
                continue
            DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
                status="FAILED",
                finished_at=now,
                exception_class_path=f"{WorkerGone.__module__}.{WorkerGone.__qualname__}",
                traceback=f"{WorkerGone.__name__}: {who} stopped before this task finished; "
                + ("the commit was enqueued again.\n" if enqueue else "nothing was left to do.\n"),
                return_value=None,
            )
        if enqueue is not None:
            enqueue(batch_id)
            log.warning("batch %s: %s is gone; its commit is enqueued again", batch_id, who)
    return True
