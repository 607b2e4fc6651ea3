"""Readiness conditions written by the collectors, and the worker's heartbeat.

A condition is a fact with a time. Pushes arrive many times a minute, so
``record_condition`` writes a new row only when the status of that type
changes (the newest active row otherwise stands, with the time it was first
observed); the previous active row of the same type is superseded. The worker
heartbeat is the one installation-wide condition: a single row whose
``observed_at`` moves forward, never a row per beat.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.db import close_old_connections, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone

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
    """Beats the heartbeat, re-enqueues stalled commits and pulls due feeds every ``interval`` seconds.

    It beats before and after each pull, so a long round of pulls (each bounded by the
    feed timeout) never makes a live worker look dead, while a loop that hangs stops beating.
    """

    def __init__(self, interval: float, *, pulls_per_round: int = 20):
        super().__init__(name="ownerhub-worker-loop", daemon=True)
        self.interval = interval
        self.pulls_per_round = pulls_per_round
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
        from coverage.acquisition import requeue_stalled  # coverage depends on connections

        from .collect import claim_due, pull  # collect imports this module

        beat(timezone.now())
        requeue_stalled(timezone.now())
        for connection in claim_due(timezone.now(), limit=self.pulls_per_round):
            if self.stopping.is_set():
                # Claimed but not pulled: make it due again for the next worker.
                Connection.objects.filter(pk=connection.pk).update(next_due_at=timezone.now())
                continue
            pull(connection, timezone.now())
            beat(timezone.now())
