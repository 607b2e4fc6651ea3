"""Load evidence for many connections in a constant number of queries, then project.

Six queries whatever the number of connections: connections (with whether a
credential is captured), active conditions, the recent runs per connection (a
window function), last success/failure per connection, coverage summaries
(with the latest batch), lanes. Batches and records are never scanned: the
summaries are kept in the same transaction as the evidence.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from connections.connectors import get as get_manifest
from connections.models import CollectionRun, Condition, Connection, DeviceToken

from .models import CoverageSummary, LaneSummary
from .projection import (
    FAILING_AFTER,
    ConnectionHealth,
    Evidence,
    SystemHealth,
    project,
    project_system,
)

RECENT_RUNS = max(FAILING_AFTER, 5)

# Large JSON columns the projection never reads.
_BATCH_HEAVY = ("day_counts", "media_days", "preview_counts", "options")


def load_evidence(connections: QuerySet[Connection], now: datetime) -> list[Evidence]:
    """Evidence for every connection in ``connections`` (already owner-scoped by the caller)."""
    live_token = DeviceToken.objects.live().filter(connection=OuterRef("pk"))
    rows = list(connections.annotate(has_token=Exists(live_token)).order_by("name", "pk"))
    if not rows:
        return []
    ids = connections.values("pk")

    conditions = defaultdict(list)
    for cond in Condition.objects.filter(connection__in=ids, superseded_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    ):
        conditions[cond.connection_id].append(cond)

    runs = defaultdict(list)
    recent = (
        CollectionRun.objects.filter(connection__in=ids)
        .annotate(
            row=Window(RowNumber(), partition_by=[F("connection_id")], order_by=[F("started_at").desc(), F("pk").desc()])
        )
        .filter(row__lte=RECENT_RUNS)
        .order_by("connection_id", "row")
    )
    for run in recent:
        runs[run.connection_id].append(run)

    last = {
        row["connection_id"]: row
        for row in CollectionRun.objects.filter(connection__in=ids)
        .values("connection_id")
        .annotate(
            success=Max("finished_at", filter=Q(outcome__in=["success", "not_modified"])),
            failure=Max("finished_at", filter=Q(outcome="failure")),
        )
    }

    summaries = {
        s.connection_id: s
        for s in CoverageSummary.objects.filter(connection__in=ids)
        .select_related("latest_batch")
        .defer(*(f"latest_batch__{name}" for name in _BATCH_HEAVY))
    }
    lanes = defaultdict(list)
    for lane in LaneSummary.objects.filter(connection__in=ids).defer("day_counts", "media_days"):
        lanes[lane.connection_id].append(lane)

    evidence = []
    for conn in rows:
        summary = summaries.get(conn.pk)
        latest = summary.latest_batch if summary is not None else None
        if latest is not None:
            latest.connection = conn  # the receipt names its connection without another query
        evidence.append(
            Evidence(
                connection=conn,
                manifest=get_manifest(conn.connector),
                credential_captured=bool(conn.has_token or conn.feed_url),
                conditions=tuple(conditions[conn.pk]),
                runs=tuple(runs[conn.pk]),
                last_success_at=last.get(conn.pk, {}).get("success"),
                last_failure_at=last.get(conn.pk, {}).get("failure"),
                summary=summary,
                lanes=tuple(lanes[conn.pk]),
                latest_batch=latest,
            )
        )
    return evidence


def load_health(connections: QuerySet[Connection], now: datetime | None = None) -> list[ConnectionHealth]:
    """The projection of every connection in ``connections``, ordered by name."""
    now = now or timezone.now()
    return [project(ev, now) for ev in load_evidence(connections, now)]


def load_one(connection: Connection, now: datetime | None = None) -> ConnectionHealth:
    return load_health(Connection.objects.filter(pk=connection.pk), now)[0]


def load_system(now: datetime | None = None) -> SystemHealth:
    now = now or timezone.now()
    heartbeat = (
        Condition.objects.filter(connection__isnull=True, type=Condition.Type.WORKER_HEARTBEAT)
        .order_by("-observed_at")
        .first()
    )
    return project_system(heartbeat, now, settings.OWNERHUB_WORKER_HEARTBEAT_SECONDS)
