"""Readiness conditions written by the collectors, and the worker's heartbeat.

A condition is a fact with a time. Pushes arrive many times a minute, so
``record_condition`` writes a new row only when the status of that type
changes (the newest active row otherwise stands, with the time it was first
observed); the previous active row of the same type is superseded. The worker
heartbeat is the one installation-wide condition: a single row whose
``observed_at`` moves forward, never a row per beat.

The worker loop's other duties (re-enqueueing abandoned commits, sweeping expired
previews, pulling due feeds) belong to the ``coverage`` app, which registers them with
``every_round`` and ``pull_with``: this module imports nothing from ``coverage``. ``PROCESS`` names this process
(``host:pid:start``) so that work it claims can be told apart from work whose process
is gone (``process_gone``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import Condition, Connection

log = logging.getLogger(__name__)

Type = Condition.Type
Status = Condition.Status


def active_conditions(connection: Connection, now: datetime) -> dict[str, Condition]:
    """The newest active condition of each type for ``connection`` (one query)."""
    newest: dict[str, Condition] = {}
    for cond in Condition.objects.filter(connection=connection).active(now).order_by("observed_at", "pk"):
        newest[cond.type] = cond
    return newest


def record_condition(
    connection: Connection,
    type_: str,
    status: str,
    *,
    now: datetime,
    reason: str = "",
    message: str = "",
    current: dict[str, Condition] | None = None,
) -> Condition:
    """Make ``status`` the connection's active ``type_`` condition, writing only on a change.

    ``current`` may pass what ``active_conditions`` returned, to save the read.
    """
    if current is None:
        current = active_conditions(connection, now)
    existing = current.get(type_)
    if existing is not None and existing.status == status:
        return existing
    with transaction.atomic():
        Condition.objects.filter(connection=connection, type=type_, superseded_at__isnull=True).update(
            superseded_at=now
        )
        cond = Condition.objects.create(
            connection=connection,
            type=type_,
            status=status,
            reason=reason[:64],
            message=message[:300],
            observed_at=now,
        )
    current[type_] = cond
    return cond


def clear_conditions(connection: Connection, type_: str, *, now: datetime) -> int:
    """Supersede every active ``type_`` condition (a new credential makes old verdicts moot)."""
    return Condition.objects.filter(connection=connection, type=type_, superseded_at__isnull=True).update(
        superseded_at=now
    )


def blocked_by_credential(now: datetime) -> Q:
    """Connections whose active credential condition is rejected or expired (no retry loop)."""
    stuck = Condition.objects.filter(
        type=Type.CREDENTIAL, status__in=[Status.REJECTED, Status.EXPIRED], superseded_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return Q(pk__in=stuck.values("connection_id"))


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """``(state, start time in clock ticks since boot)`` of a Linux process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().decode(errors="replace").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (fields[0], fields[19]) if len(fields) > 19 else None


def _identity() -> str:
    pid = os.getpid()
    stat = _proc_stat(pid)
    # The start time tells this process from a later one given the same pid (a restarted
    # container); without /proc a random token stands in for it.
    start = stat[1] if stat else "t" + secrets.token_hex(6)
    host = socket.gethostname()[:40].replace(":", "-")
    return f"{host}:{pid}:{start}"


PROCESS = _identity()
"""This process, as ``host:pid:start``: what a worker writes when it claims work."""


def process_gone(identity: str) -> bool | None:
    """Whether the process named by ``identity`` (a ``PROCESS`` value) has ended.

    None when it cannot be told from here: the process ran on another host.
    """
    host, _, rest = identity.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != PROCESS.partition(":")[0] or not pid_text.isdigit():
        return None
    if identity == PROCESS:
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # our pid, an earlier process's start: that process is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, owned by someone else
    except OverflowError:
        return True
    stat = _proc_stat(pid)
    if stat is None:
        return os.path.isdir("/proc")  # Linux: it ended just now; elsewhere the pid is all we know
    state, started = stat
    return state in ("Z", "X") or (not start.startswith("t") and started != start)


class WorkerGone(Exception):
    """The worker running a task stopped before it finished (recorded on the task's row)."""


def fail_tasks_of_gone_workers(now: datetime) -> list:
    """Mark ``FAILED`` the task rows still ``RUNNING`` under a worker process that has ended.

    A killed worker never reports its task, and the queue would show it running for ever.
    Only rows whose worker id is a ``PROCESS`` of this host (what ``manage.py worker`` uses)
    can be told; returns their ids.
    """
    failed = []
    for task_id, worker_ids in DBTaskResult.objects.filter(status="RUNNING").values_list("pk", "worker_ids"):
        worker = (worker_ids or [""])[-1]
        if isinstance(worker, str) and process_gone(worker) is True:
            if DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
                status="FAILED",
                finished_at=now,
                exception_class_path=f"{WorkerGone.__module__}.{WorkerGone.__qualname__}",
                traceback=f"{WorkerGone.__name__}: the worker {worker} stopped before this task finished.\n",
                return_value=None,
            ):
                failed.append(task_id)
    if failed:
        log.warning("marked %d task(s) of stopped workers failed", len(failed))
    return failed


RoundJob = Callable[[datetime], object]
ROUND_JOBS: dict[str, RoundJob] = {}


Claim = Callable[..., list[Connection]]
Pull = Callable[[Connection, datetime], object]
PULLS: dict[str, Callable] = {}


def pull_with(claim: Claim, pull: Pull) -> None:
    """How the loop pulls: ``claim(now, limit=n)`` picks due connections, ``pull(connection, now)`` pulls one."""
    PULLS.update(claim=claim, pull=pull)


def every_round(name: str, job: RoundJob) -> None:
    """Have the worker loop call ``job(now)`` each round, after the heartbeat (apps register theirs)."""
    ROUND_JOBS[name] = job


def beat(now: datetime, *, message: str = "") -> Condition:
    """Record that the worker is alive at ``now``: one row, moved forward each beat."""
    rows = Condition.objects.filter(
        connection__isnull=True, type=Type.WORKER_HEARTBEAT, superseded_at__isnull=True
    )
    if rows.update(observed_at=now, status=Status.READY, reason="heartbeat", message=message[:300]):
        return rows.order_by("-observed_at", "-pk").first()
    return Condition.objects.create(
        connection=None,
        type=Type.WORKER_HEARTBEAT,
        status=Status.READY,
        reason="heartbeat",
        message=message[:300],
        observed_at=now,
    )


class WorkerLoop(threading.Thread):
    """Beats the heartbeat, runs the registered jobs and pulls due feeds every ``interval`` seconds.

    The first round runs as soon as the loop starts, so a worker that starts picks up what
    a dead one left at once. ``jobs`` defaults to what the apps registered with
    ``every_round``; one failing job does not stop the others or the pulls. The loop beats
    before and after each pull, so a long round of pulls (each bounded by the feed timeout)
    never makes a live worker look dead, while a loop that hangs stops beating.
    """

    def __init__(self, interval: float, *, pulls_per_round: int = 20, jobs: dict[str, RoundJob] | None = None):
        super().__init__(name="ownerhub-worker-loop", daemon=True)
        self.interval = interval
        self.pulls_per_round = pulls_per_round
        self.jobs = ROUND_JOBS if jobs is None else jobs
        self.stopping = threading.Event()
        self.rounds = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    self.round()
                except Exception:  # noqa: BLE001 - the loop must outlive one bad round
                    log.exception("worker loop round failed")
                finally:
                    close_old_connections()
                self.rounds += 1
                self.stopping.wait(self.interval)
        finally:
            db_connection.close()

    def round(self) -> None:
        beat(timezone.now())
        jobs = {"connections.fail_tasks_of_gone_workers": fail_tasks_of_gone_workers, **self.jobs}
        for name, job in jobs.items():
            if self.stopping.is_set():
                return
            try:
                job(timezone.now())
            except Exception:  # noqa: BLE001 - one job's fault must not stop the others
                log.exception("worker job %s failed", name)
        if not PULLS:
            return
        claim_due, pull = PULLS["claim"], PULLS["pull"]
        for connection in claim_due(timezone.now(), limit=self.pulls_per_round):
            if self.stopping.is_set():
                # Claimed but not pulled: make it due again for the next worker.
                Connection.objects.filter(pk=connection.pk).update(next_due_at=timezone.now())
                continue
            pull(connection, timezone.now())
            beat(timezone.now())
