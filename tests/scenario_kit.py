"""What the scenario table (``tests.scenarios``) is built of: a ``Scenario`` and the helpers of its rows.

Each scenario builds unsaved evidence rows (for the pure projection tests) and
can save the same rows for an owner (for the CLI/API/dashboard parity tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from connections.connectors import get as get_manifest
from connections.connectors import register
from connections.connectors.whatsapp import PARSER_VERSION as WHATSAPP_READER
from connections.models import Connection, hash_secret
from coverage.models import AcquisitionBatch
from coverage.projection import Evidence, FailedImport, Importing, Upload
from tests.factories import (
    BatchFactory,
    CollectionRunFactory,
    ConditionFactory,
    ConnectionFactory,
    CoverageSummaryFactory,
    DeviceTokenFactory,
    LaneSummaryFactory,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# A chat connector that declares missing media blocking: the same gap, another verdict.
STRICT = register(
    replace(get_manifest("whatsapp"), id="strict_chat", name="Strict chat", blocking_gaps=frozenset({"missing_media"}))
)

@dataclass
class Scenario:
    name: str
    connector: str = "whatsapp"
    policy: str = "manual"
    interval_seconds: int | None = None
    next_due_at: datetime | None = None
    token: bool = False
    feed_url: str = ""
    conditions: list[dict] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)  # newest first
    summary: dict | None = None
    lanes: list[dict] = field(default_factory=list)
    batch: dict | None = None  # the latest committed batch
    failed: dict | None = None  # an import whose commit failed for good: filename, created_at, failure_reason
    importing: dict | None = None  # an import being saved (the worker is running): filename, started_at, counted, total
    duplicate_upload_at: datetime | None = None  # the latest batch's file uploaded again at this time
    media_required: bool = False  # the owner marked every media file required
    reminders_muted: bool = False  # an export-only source whose reminders the owner muted
    preview_at: datetime | None = None  # an import previewed at this time, not imported yet
    preview_reading: bool = False  # that upload is a file the background worker has still to read
    outdated: int = 0  # committed uploads read by an older reader
    misordered: int = 0  # committed uploads read in the order answered, which a later export proved wrong
    worker_seen_at: datetime | None = None  # the background worker's last heartbeat, when it is down

    def evidence(self, pk: int = 1, *, preview_id: int = 12) -> Evidence:
        """Unsaved rows, for the pure projection (``preview_id``: the waiting preview's row, when there is one)."""
        conn = self.connection()
        conn.pk = pk
        batch = self.latest_batch(conn)
        summary = None
        if self.summary is not None:
            summary = CoverageSummaryFactory.build(connection=conn, **self.summary)
            summary.latest_batch_id = batch.pk if batch else 1
            summary.media_batch_id = summary.latest_batch_id if summary.media_missing + summary.media_omitted else None
        runs = tuple(CollectionRunFactory.build(connection=conn, **r) for r in self.runs)
        return Evidence(
            connection=conn,
            manifest=get_manifest(self.connector),
            credential_captured=self.token or bool(self.feed_url),
            conditions=tuple(ConditionFactory.build(connection=conn, pk=i + 1, **c) for i, c in enumerate(self.conditions)),
            runs=runs,
            summary=summary,
            lanes=tuple(LaneSummaryFactory.build(connection=conn, **lane) for lane in self.lanes),
            latest_batch=batch,
            failed_import=(
                FailedImport(9, self.failed["artifact_filename"], self.failed["created_at"],
                             self.failed["failure_reason"])
                if self.failed is not None
                else None
            ),
            latest_upload=self.latest_upload(batch),
            worker_down=self.worker_seen_at is not None,
            worker_seen_at=self.worker_seen_at,
            previews_waiting=1 if self.preview_at else 0,
            newest_preview_id=preview_id if self.preview_at else None,
            previews_reading=1 if self.preview_at and self.preview_reading else 0,
            outdated_imports=self.outdated,
            misordered_imports=self.misordered,
            importing=(
                (Importing(11, self.importing["artifact_filename"], self.importing["created_at"],
                           self.importing["progress"], self.importing["count_parsed"]),)
                if self.importing is not None
                else ()
            ),
        )

    def saved_evidence(self, conn: Connection) -> Evidence:
        """The evidence of the rows ``save`` wrote for ``conn``: row ids a page names (a preview's) are the saved ones."""
        preview = conn.batches.filter(status=AcquisitionBatch.Status.PREVIEW).order_by("-pk").first()
        return self.evidence(pk=conn.pk, preview_id=preview.pk if preview else 12)

    def connection(self, owner=None) -> Connection:
        return ConnectionFactory.build(
            owner=owner,
            connector=self.connector,
            slug=self.name.replace("_", "-"),
            name=self.name.replace("_", " ").capitalize(),
            schedule_policy=self.policy,
            resume_policy="interval" if self.interval_seconds else "manual",
            interval_seconds=self.interval_seconds,
            next_due_at=self.next_due_at,
            feed_url=self.feed_url,
            media_required=self.media_required,
            reminders_muted=self.reminders_muted,
            created_at=NOW - 400 * DAY,
        )

    def latest_batch(self, conn: Connection) -> AcquisitionBatch | None:
        if self.batch is None:
            return None
        fields = {
            "method": "owner_artifact",
            "status": "committed",
            "source_format": "whatsapp_android",
            "parser_version": "1",
            "created_at": NOW - 10 * DAY,
            "committed_at": NOW - 10 * DAY,
            **self.batch,
        }
        batch = BatchFactory.build(connection=conn, **fields)
        batch.pk = 7
        return batch

    def latest_upload(self, batch: AcquisitionBatch | None) -> Upload | None:
        """What the loader reads as the newest upload: the duplicate when there is one, else the latest batch."""
        if batch is None:
            return None
        if self.duplicate_upload_at is not None:
            return Upload(8, "duplicate", batch.artifact_filename, self.duplicate_upload_at, "", batch.pk,
                          batch.created_at, batch.artifact_filename, method=batch.method)
        return Upload(batch.pk, batch.status, batch.artifact_filename, batch.created_at, method=batch.method)

    def save(self, owner) -> Connection:
        """The same evidence as rows in the database, for ``owner``."""
        conn = self.connection(owner)
        conn.save()
        if self.token:
            DeviceTokenFactory(connection=conn, token_hash=hash_secret(f"{self.name}-{owner.pk}"))
        for c in self.conditions:
            ConditionFactory(connection=conn, **c)
        for r in self.runs:
            CollectionRunFactory(connection=conn, **r)
        batch = self.latest_batch(conn)
        if batch is not None:
            batch.pk = None
            batch.save()
        if self.summary is not None:
            summary = CoverageSummaryFactory.build(connection=conn, latest_batch=batch, **self.summary)
            if summary.media_missing + summary.media_omitted:
                summary.media_batch = batch
            summary.save()
        for lane in self.lanes:
            lane = dict(lane)
            if lane.pop("partial_batch_id", None):
                lane["partial_batch"] = batch
            LaneSummaryFactory(connection=conn, last_batch=batch, **lane)
        if self.failed is not None:
            BatchFactory(connection=conn, status=AcquisitionBatch.Status.FAILED, source_format="", **self.failed)
        if self.duplicate_upload_at is not None:
            BatchFactory(connection=conn, status=AcquisitionBatch.Status.DUPLICATE, duplicate_of=batch,
                         artifact_filename=batch.artifact_filename, created_at=self.duplicate_upload_at)
        if self.importing is not None:
            BatchFactory(connection=conn, status=AcquisitionBatch.Status.COMMITTING, **self.importing)
        if self.importing is not None or self.preview_reading or self.worker_seen_at is not None:
            ConditionFactory(connection=None, type="worker_heartbeat", status="ready", reason="heartbeat",
                             observed_at=self.worker_seen_at or NOW)
        if self.preview_at is not None:
            BatchFactory(connection=conn, status=AcquisitionBatch.Status.PREVIEW, created_at=self.preview_at,
                         artifact_filename="WhatsApp Chat with Alice.txt", artifact_sha256="c" * 64,
                         reading_requested_at=self.preview_at if self.preview_reading else None)
        for i in range(self.misordered):
            BatchFactory(connection=conn, options={"date_order": "mdy"}, parser_version=WHATSAPP_READER,
                         artifact_sha256=f"{i + 100:064x}",
                         artifact_filename=f"answered-{i}.txt", artifact_name=f"artifacts/answered-{i}.txt",
                         created_at=NOW - (20 + i) * DAY)
        if self.misordered:  # the later export that showed the day comes first
            BatchFactory(connection=conn, options={"date_order_seen": "dmy"}, parser_version=WHATSAPP_READER,
                         artifact_sha256="d" * 64,
                         artifact_filename="longer.txt", artifact_name="artifacts/longer.txt",
                         created_at=NOW - 12 * DAY)
        for i in range(self.outdated):
            BatchFactory(connection=conn, parser_version="whatsapp/0", artifact_sha256=f"{i:064x}",
                         artifact_filename=f"chat-{i}.txt", artifact_name=f"artifacts/chat-{i}.txt",
                         created_at=NOW - (30 + i) * DAY)
        return conn


def _summary(earliest, through, count=120, **more) -> dict:
    return {"earliest_event_at": earliest, "covered_through": through, "record_count": count, **more}


def _lane(method, earliest, through, last_batch_at, batches=1, records=120, **more) -> dict:
    return {
        "method": method,
        "earliest_event_at": earliest,
        "covered_through": through,
        "last_batch_at": last_batch_at,
        "batches": batches,
        "records": records,
        **more,
    }


def _run(outcome, hours_ago, error_class="") -> dict:
    started = NOW - timedelta(hours=hours_ago)
    return {
        "outcome": outcome,
        "started_at": started,
        "finished_at": started + timedelta(seconds=3),
        "error_class": error_class,
    }


def _cond(type_, status, days_ago, **more) -> dict:
    return {"type": type_, "status": status, "reason": status, "observed_at": NOW - days_ago * DAY, **more}


OLD = datetime(2023, 3, 25, 22, 10, tzinfo=UTC)
OLD_START = datetime(2023, 3, 12, 9, 15, tzinfo=UTC)
RECENT = NOW - 2 * DAY + timedelta(microseconds=123_456)  # API must keep microseconds
FEED = {"connector": "ical_feed", "policy": "interval", "interval_seconds": 3600,
        "next_due_at": NOW + timedelta(minutes=30), "feed_url": "https://example.org/cal.ics?key=secret"}
READY_FEED = [_cond("credential", "ready", 0.1), _cond("runtime", "ready", 0.1)]
PHONE = {"connector": "owntracks", "token": True}
READY_PHONE = [_cond("credential", "ready", 0.01), _cond("runtime", "ready", 0.01)]
