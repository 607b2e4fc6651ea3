"""Load evidence for many connections in a constant number of queries, then project.

Five queries whatever the number of connections or the size of their history:
connections (with whether a credential is captured, their newest success and
failure, their newest failed import, their newest import being saved, their owner's time
zone and the worker's newest heartbeat, as indexed single-row subqueries), active conditions, the newest runs
per connection (a UNION ALL of "n-th newest run" picks, each an index probe per
connection, so old runs are never scanned), coverage summaries (with the latest
batch), lanes. Batches and records are never scanned: the summaries are kept in
the same transaction as the evidence.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from connections.connectors import CONNECTORS
from connections.connectors import get as get_manifest
from connections.models import CollectionRun, Condition, Connection, DeviceToken, OwnerProfile
from connections.zones import owner_zone, zone_named

from .models import AcquisitionBatch, CoverageSummary, LaneSummary
from .pipeline.date_orders import answered_otherwise, misordered_of
from .projection import (
    FAILING_AFTER,
    ConnectionHealth,
    Evidence,
    FailedImport,
    Importing,
    SystemHealth,
    Upload,
    project,
    project_system,
)
from .receipts import CONTRADICTED, Receipt, build_receipt

RECENT_RUNS = max(FAILING_AFTER, 5)

# Large JSON columns the projection never reads.
_BATCH_HEAVY = ("day_counts", "media_days", "preview_counts", "options")


def load_evidence(connections: QuerySet[Connection], now: datetime, *, timeline: bool = False) -> list[Evidence]:
    """Evidence for every connection in ``connections`` (already owner-scoped by the caller).

    ``timeline``: the lanes carry their per-slot counts (large on a long history) so the projection
    draws the timeline; a source's own page asks for it, the dashboard does not (same queries).
    Five queries, whatever the history: the connections with their newest facts, the conditions,
    the recent runs, the coverage summaries and the lanes.
    """
    rows = _connection_rows(connections, now)
    if not rows:
        return []
    ids = connections.values("pk")
    conditions, runs = _conditions(ids, now), _recent_runs(connections)
    summaries, lanes = _summaries(ids), _lanes(ids, timeline)
    heartbeat = rows[0].worker_seen and Condition(type=Condition.Type.WORKER_HEARTBEAT, observed_at=rows[0].worker_seen)
    worker_down = project_system(heartbeat or None, now, settings.OWNERHUB_WORKER_HEARTBEAT_SECONDS).state != "healthy"
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
                last_success_at=max((t for t in (conn.last_success, conn.last_not_modified) if t), default=None),
                last_failure_at=conn.last_failure,
                summary=summary,
                lanes=tuple(lanes[conn.pk]),
                latest_batch=latest,
                time_zone=zone_named(conn.owner_zone),
                worker_down=worker_down,
                with_timeline=timeline,
                worker_seen_at=rows[0].worker_seen,
                **_work_of(conn),
            )
        )
    return evidence


def _connection_rows(connections: QuerySet[Connection], now: datetime) -> list[Connection]:
    """The connections, each with its newest facts as subqueries (one query)."""
    live_token = DeviceToken.objects.live().filter(connection=OuterRef("pk"))
    return list(
        connections.annotate(
            has_token=Exists(live_token),
            last_success=_last_finished("success"),
            last_not_modified=_last_finished("not_modified"),
            last_failure=_last_finished("failure"),
            owner_zone=Subquery(OwnerProfile.objects.filter(owner=OuterRef("owner")).values("time_zone")[:1]),
            **_newest_failed_import(),
            **_newest_import_in_flight(),
            **_newest_upload(),
            **_newest_folder_file(),
            owner_username=F("owner__username"),
            **_waiting_and_outdated(now),
            worker_seen=Subquery(
                Condition.objects.filter(connection__isnull=True, type=Condition.Type.WORKER_HEARTBEAT)
                .order_by("-observed_at").values("observed_at")[:1]
            ),
        ).order_by("name", "pk")
    )


def _conditions(ids: QuerySet, now: datetime) -> dict[int, list[Condition]]:
    conditions = defaultdict(list)
    for cond in Condition.objects.filter(connection__in=ids, superseded_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    ):
        conditions[cond.connection_id].append(cond)
    return conditions


def _recent_runs(connections: QuerySet[Connection]) -> dict[int, list[CollectionRun]]:
    """The ``RECENT_RUNS`` newest runs of each connection, newest first (one query)."""
    runs = defaultdict(list)
    newest = CollectionRun.objects.filter(connection=OuterRef("pk")).order_by("-started_at", "-pk").values("pk")
    picks = [
        CollectionRun.objects.filter(pk__in=connections.annotate(run=Subquery(newest[i : i + 1])).values("run"))
        .order_by()
        for i in range(RECENT_RUNS)
    ]
    # Not Q(pk__in=...) | Q(...): PostgreSQL then scans every run.
    for run in picks[0].union(*picks[1:], all=True).order_by("connection_id", "-started_at", "-pk"):
        runs[run.connection_id].append(run)
    return runs


def _summaries(ids: QuerySet) -> dict[int, CoverageSummary]:
    return {
        s.connection_id: s
        for s in CoverageSummary.objects.filter(connection__in=ids)
        .select_related("latest_batch")
        .defer(*(f"latest_batch__{name}" for name in _BATCH_HEAVY))
    }


def _lanes(ids: QuerySet, timeline: bool) -> dict[int, list[LaneSummary]]:
    lanes = defaultdict(list)
    lane_rows = LaneSummary.objects.filter(connection__in=ids)
    for lane in lane_rows if timeline else lane_rows.defer("day_counts", "media_days"):
        lanes[lane.connection_id].append(lane)
    return lanes


def _work_of(conn: Connection) -> dict:
    """The Evidence fields about the owner's work: imports failed or in flight, previews, uploads, the folder."""
    return {
        "failed_import": (
            FailedImport(conn.failed_id, conn.failed_filename, conn.failed_at, conn.failed_reason)
            if conn.failed_id is not None
            else None
        ),
        "importing": (
            (Importing(conn.saving_id, conn.saving_filename, conn.saving_at, conn.saving_counted or 0,
                       conn.saving_total or 0),)
            if conn.saving_id is not None
            else ()
        ),
        "previews_waiting": conn.previews_waiting or 0,
        "newest_preview_id": conn.newest_preview_id,
        "previews_reading": conn.previews_reading or 0,
        "folder_waiting": conn.folder_waiting or 0,
        "folder_preview_id": conn.folder_preview_id,
        "folder_path": _folder_path(conn.owner_username, conn.slug, get_manifest(conn.connector)),
        "folder_last": (
            Upload(conn.folder_id, conn.folder_status, conn.folder_filename, conn.folder_at, trigger="watched_folder")
            if conn.folder_id is not None
            else None
        ),
        "outdated_imports": conn.outdated_imports or 0,
        "misordered_imports": conn.misordered_imports or 0,
        "latest_upload": (
            Upload(conn.upload_id, conn.upload_status, conn.upload_filename, conn.upload_at,
                   conn.upload_reason, conn.upload_dup_id, conn.upload_dup_at, conn.upload_dup_filename or "",
                   trigger=conn.upload_trigger or "", method=conn.upload_method or "owner_artifact")
            if conn.upload_id is not None
            else None
        ),
    }


def _newest_with_status(status: str, prefix: str, fields: tuple[tuple[str, str], ...]) -> dict[str, Subquery]:
    """The newest import of each connection in ``status``, field by field as ``{prefix}_{name}``
    (each an index walk by connection and status from the newest end)."""
    newest = AcquisitionBatch.objects.filter(connection=OuterRef("pk"), status=status).order_by("-created_at", "-pk")
    return {f"{prefix}_{name}": Subquery(newest.values(field)[:1]) for name, field in fields}


_NAMED = (("id", "pk"), ("filename", "artifact_filename"), ("at", "created_at"))


def _newest_failed_import() -> dict[str, Subquery]:
    """The newest ``failed`` import of each connection, and why it failed."""
    return _newest_with_status(AcquisitionBatch.Status.FAILED, "failed", (*_NAMED, ("reason", "failure_reason")))


def _newest_import_in_flight() -> dict[str, Subquery]:
    """The newest import being saved (``committing``) of each connection, and how far it got."""
    return _newest_with_status(
        AcquisitionBatch.Status.COMMITTING, "saving", (*_NAMED, ("counted", "progress"), ("total", "count_parsed"))
    )


def _newest_upload() -> dict[str, Subquery]:
    """The newest upload or push that ended (committed, duplicate, rejected), and the import it repeated."""
    Status = AcquisitionBatch.Status
    newest = AcquisitionBatch.objects.filter(
        connection=OuterRef("pk"), status__in=(Status.COMMITTED, Status.DUPLICATE, Status.REJECTED)
    ).order_by("-created_at", "-pk")
    return {
        f"upload_{name}": Subquery(newest.values(field)[:1])
        for name, field in (("id", "pk"), ("status", "status"), ("filename", "artifact_filename"),
                            ("at", "created_at"), ("reason", "reject_detail"), ("dup_id", "duplicate_of_id"),
                            ("dup_at", "duplicate_of__created_at"), ("dup_filename", "duplicate_of__artifact_filename"),
                            ("trigger", "trigger"), ("method", "method"))
    }


def _newest_folder_file() -> dict[str, Subquery]:
    """The newest file picked up from the watched folder (``pipeline.watch``), whatever became of it."""
    newest = AcquisitionBatch.objects.filter(connection=OuterRef("pk"), trigger="watched_folder").order_by(
        "-created_at", "-pk"
    )
    return {
        f"folder_{name}": Subquery(newest.values(field)[:1])
        for name, field in (("id", "pk"), ("status", "status"), ("filename", "artifact_filename"), ("at", "created_at"))
    }


def _folder_path(username: str, slug: str, manifest) -> str:
    """This source's folder (``OWNERHUB_WATCH_DIR/<owner>/<source>``), or "" when no folder is watched
    or the source takes no files (the watcher passes it by)."""
    root = getattr(settings, "OWNERHUB_WATCH_DIR", "")
    takes_files = manifest.path("owner_artifact") is not None
    return str(Path(root) / username / slug) if root and takes_files else ""


def current_readers() -> frozenset[str]:
    """Every connector's current parser version ("whatsapp/3"): an import read by another one is outdated."""
    return frozenset(v for module in CONNECTORS if (v := getattr(module, "PARSER_VERSION", "")))


def _waiting_and_outdated(now: datetime) -> dict[str, Subquery]:
    """Previews nobody imported yet (unexpired: newer than the preview time to live, and not of a file imported
    since by another preview of it), the newest of them, committed uploads whose reader is not today's and
    that were not read again (``options["superseded_by"]``), and those read in a day/month order the owner
    answered that a later file of the source proved wrong."""
    Status = AcquisitionBatch.Status
    kept_since = now - timedelta(hours=settings.OWNERHUB_PREVIEW_TTL_HOURS)
    imported_since = AcquisitionBatch.objects.filter(  # the (connection, sha256) index of imported files
        connection=OuterRef("connection"), artifact_sha256=OuterRef("artifact_sha256"),
        status__in=(Status.COMMITTING, Status.COMMITTED),
    ).exclude(artifact_sha256="")
    previews = AcquisitionBatch.objects.filter(connection=OuterRef("pk"), status=Status.PREVIEW,
                                               created_at__gt=kept_since).exclude(Exists(imported_since))
    outdated = (
        # The (connection, method, status, parser_version) index: only the ranges of readers that are not
        # today's are probed, so the cost follows the outdated imports, not the source's history.
        AcquisitionBatch.objects.filter(connection=OuterRef("pk"), method="owner_artifact", status=Status.COMMITTED)
        .filter(_other_readers())
        .exclude(artifact_sha256="").exclude(artifact_name="")  # a file still held: it can be read again
        .exclude(options__has_key="superseded_by")
    )
    return {
        "previews_waiting": _count(previews),
        "newest_preview_id": Subquery(previews.order_by("-created_at", "-pk").values("pk")[:1]),
        # of those, files the worker has still to read (``pipeline.background``): no preview to look at yet
        "previews_reading": _count(previews.filter(reading_requested_at__isnull=False).exclude(phases__has_key="parsed")),
        "folder_waiting": _count(previews.filter(trigger="watched_folder")),  # picked up from the watched folder
        "folder_preview_id": Subquery(
            previews.filter(trigger="watched_folder").order_by("-created_at", "-pk").values("pk")[:1]
        ),
        "outdated_imports": _count(outdated),
        "misordered_imports": _count(misordered_of(OuterRef("pk"))),
    }


def _other_readers() -> Q:
    """``parser_version`` is set and is no current reader's, as index ranges between the current ones."""
    bounds = sorted(current_readers())
    ranges = Q(parser_version__gt="", parser_version__lt=bounds[0]) if bounds else Q(parser_version__gt="")
    for low, high in zip(bounds, bounds[1:], strict=False):
        ranges |= Q(parser_version__gt=low, parser_version__lt=high)
    return ranges | Q(parser_version__gt=bounds[-1]) if bounds else ranges


def _count(batches: QuerySet) -> Subquery:
    return Subquery(batches.order_by().values("connection").annotate(n=Count("pk")).values("n")[:1])


def _last_finished(outcome: str) -> Subquery:
    return Subquery(
        CollectionRun.objects.filter(connection=OuterRef("pk"), outcome=outcome, finished_at__isnull=False)
        .order_by("-finished_at")
        .values("finished_at")[:1]
    )


def load_health(connections: QuerySet[Connection], now: datetime | None = None, *,
                timeline: bool = False) -> list[ConnectionHealth]:
    """The projection of every connection in ``connections``, ordered by name (with the timeline if asked)."""
    now = now or timezone.now()
    return [project(ev, now) for ev in load_evidence(connections, now, timeline=timeline)]


def load_one(connection: Connection, now: datetime | None = None, *, timeline: bool = False) -> ConnectionHealth:
    return load_health(Connection.objects.filter(pk=connection.pk), now, timeline=timeline)[0]


def load_receipt(batch: AcquisitionBatch, now: datetime | None = None) -> Receipt:
    """The receipt of ``batch`` as every surface shows it (page, API, CLI), in its owner's zone.

    ``batch.connection`` (and ``duplicate_of``) should be loaded. A ``committing`` batch is
    told whether the worker that lands it is running: the condition the system projection
    reads (its heartbeat), one query, only then.
    """
    waits = batch.status == AcquisitionBatch.Status.COMMITTING or batch.is_reading  # or a preview the worker is to read
    worker_down = waits and load_system(now).state != "healthy"
    return build_receipt(batch, worker_down=worker_down, tz=owner_zone(batch.connection.owner_id),
                         settled=_settled(batch))


def _settled(batch: AcquisitionBatch) -> frozenset[str]:
    """A waiting preview's notice that an earlier import's dates are off, once no import is misdated any more
    (it was read again in the order this file proves): one query, only for such a preview."""
    if batch.status != AcquisitionBatch.Status.PREVIEW or not any(
            w.get("kind") == CONTRADICTED for w in batch.warnings or ()):
        return frozenset()
    seen = (batch.options or {}).get("date_order_seen")
    still = seen is not None and answered_otherwise([batch.connection], seen).exists()
    return frozenset() if still else frozenset({CONTRADICTED})


def load_system(now: datetime | None = None, tz: tzinfo | None = None) -> SystemHealth:
    """The installation's runtime, its times in ``tz`` (the owner's zone; the active zone when not given)."""
    now = now or timezone.now()
    heartbeat = (
        Condition.objects.filter(connection__isnull=True, type=Condition.Type.WORKER_HEARTBEAT)
        .order_by("-observed_at")
        .first()
    )
    return project_system(heartbeat, now, settings.OWNERHUB_WORKER_HEARTBEAT_SECONDS,
                          tz or timezone.get_current_timezone())
