"""The projection's values: the evidence it reads and the frozen ``ConnectionHealth`` it returns.

JSON field names are the contract (DESIGN.md, projection contract); the one serializer
(``coverage.serializers``) dumps these dataclasses as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from connections.connectors.manifest import FILE_METHODS, Manifest
from connections.models import CollectionRun, Condition, Connection

from ..models import AcquisitionBatch, CoverageSummary, LaneSummary
from ..receipts import Gap, Media, Receipt
from .timeline import StreamCoverage, Timeline

State = Literal["setup_required", "paused", "failing", "degraded", "attention", "healthy"]
Tone = Literal["neutral", "critical", "warning", "info", "ok"]
ReadinessState = Literal["ready", "missing", "rejected", "expired", "unavailable", "unknown", "not_required"]

# ---------------------------------------------------------------- input


@dataclass(frozen=True)
class Evidence:
    """Everything the projection may look at for one connection.

    ``conditions``: the connection's conditions, any order (superseded and
    expired ones are ignored here, not by the caller). ``runs``: the most recent
    collection runs, newest first (at least ``FAILING_AFTER`` when there are
    that many). ``last_success_at``/``last_failure_at``: over all runs (derived
    from ``runs`` when not given). ``summary`` and ``lanes``: the coverage
    summaries kept with the evidence. ``latest_batch``: the newest committed
    batch, with ``connection`` set. ``credential_captured``: a live device
    token or feed address exists. ``failed_import``: the newest import whose
    commit failed for good (status ``failed``), if any. ``time_zone``: the zone the
    owner's words name days and times in; ``None`` names them as stored (UTC).
    """

    connection: Connection
    manifest: Manifest
    credential_captured: bool = False
    conditions: tuple[Condition, ...] = ()
    runs: tuple[CollectionRun, ...] = ()
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    summary: CoverageSummary | None = None
    lanes: tuple[LaneSummary, ...] = ()
    latest_batch: AcquisitionBatch | None = None
    failed_import: FailedImport | None = None
    time_zone: tzinfo | None = None
    importing: tuple[Importing, ...] = ()
    worker_down: bool = False
    latest_upload: Upload | None = None
    with_timeline: bool = False  # ``lanes`` carry their per-slot counts: the projection draws the timeline
    worker_seen_at: datetime | None = None  # the worker's newest heartbeat (None: never seen)
    previews_waiting: int = 0  # unexpired previews nobody imported yet
    newest_preview_id: int | None = None
    previews_reading: int = 0  # of those, files the background worker has not read yet
    folder_waiting: int = 0  # of those, files taken from the watched folder (``pipeline.watch``)
    folder_preview_id: int | None = None  # the newest of those folder files (its link, not a newer upload's)
    folder_path: str = ""  # this source's folder when the installation watches one (``pipeline.watch``)
    folder_last: Upload | None = None  # the newest file picked up from that folder, whatever it did
    outdated_imports: int = 0  # committed uploads read by an older reader, not read again since
    misordered_imports: int = 0  # committed uploads read in a day/month order a later file proved wrong


@dataclass(frozen=True)
class FailedImport:
    """An import whose commit failed for good: nothing of it is visible; the owner may try again."""

    batch_id: int
    filename: str
    created_at: datetime
    reason: str


@dataclass(frozen=True)
class Importing:
    """An import being saved (status ``committing``): ``total`` is 0 while the file is still being read."""

    batch_id: int
    filename: str
    started_at: datetime
    counted: int
    total: int


@dataclass(frozen=True)
class Upload:
    """The newest upload or push that ended (committed, duplicate or rejected), and the import it repeated."""

    batch_id: int
    status: str
    filename: str
    at: datetime
    reason: str = ""  # why it was rejected, in owner words
    duplicate_of: int | None = None
    duplicate_of_at: datetime | None = None
    duplicate_of_filename: str = ""
    trigger: str = ""  # "watched_folder": taken from the watched folder (``pipeline.watch``)
    method: str = "owner_artifact"  # how it came: a file uploaded, a phone's push, a feed's collection


# ---------------------------------------------------------------- output


@dataclass(frozen=True)
class ConnectionRef:
    slug: str
    name: str
    connector: str
    connector_name: str
    time_zone: str = "UTC"  # the owner's zone (IANA name): the zone a client shows these instants in


@dataclass(frozen=True)
class Verdict:
    state: State
    label: str
    tone: Tone
    headline: str
    forward: str


@dataclass(frozen=True)
class ReadinessFact:
    state: ReadinessState
    reason: str
    observed_at: datetime | None


@dataclass(frozen=True)
class Readiness:
    credential: ReadinessFact
    runtime: ReadinessFact


@dataclass(frozen=True)
class Schedule:
    policy: Literal["manual", "interval", "paused"]
    interval_seconds: int | None
    next_due_at: datetime | None
    overdue: bool
    text: str = ""  # the schedule in owner words ("Every hour; next today at 13:00 UTC", "Paused until you reconnect")
    waits_for: Literal["", "worker", "reconnect"] = ""  # what holds the next pull (never the source)


@dataclass(frozen=True)
class LastRun:
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error_class: str
    label: str = "Last collection"  # what the run was, in owner words: "Last push" for a phone's pushes
    text: str = ""  # the run in owner words: "Last collection today at 21:42 UTC: failed"


@dataclass(frozen=True)
class ImportInFlight:
    batch_id: int
    phase: Literal["reading", "saving"]
    counted: int
    total: int | None  # None while unknown
    started_at: datetime
    stalled: bool  # the background worker that saves it is not running
    text: str  # "Saving your import · 1,200 of 5,000 messages"


@dataclass(frozen=True)
class SkippedPulls:
    """The newest stretch of pulls that were due but not made (access refused, or the worker was down)."""

    count: int
    reason: Literal["credential_refused", "worker_down"]
    since: datetime
    until: datetime | None
    text: str  # "2 collections were skipped while access was refused from 24 Nov to 25 Nov 2026"


@dataclass(frozen=True)
class PreviewsWaiting:
    count: int
    batch_id: int  # the newest
    url: str  # its receipt page
    text: str  # "1 preview waiting for you"


@dataclass(frozen=True)
class FolderFile:
    """The file last picked up from the source's watched folder."""

    batch_id: int
    filename: str
    at: datetime
    outcome: Literal["imported", "waiting", "importing", "duplicate", "rejected"]
    url: str  # its receipt (or preview) page
    text: str  # after its file name: "picked up today at 10:00 UTC: imported"


@dataclass(frozen=True)
class WatchedFolder:
    """Where this source's files go when the installation watches a folder, and what came from it last."""

    path: str
    last: FolderFile | None


@dataclass(frozen=True)
class Work:
    last_run: LastRun | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int
    imports: tuple[ImportInFlight, ...] = ()
    skipped: SkippedPulls | None = None
    previews: PreviewsWaiting | None = None
    folder: WatchedFolder | None = None  # only when the installation watches a folder


@dataclass(frozen=True)
class Lane:
    method: str
    label: str
    batches: int
    records: int
    earliest_event_at: datetime | None
    covered_through: datetime | None
    last_batch_at: datetime | None


@dataclass(frozen=True)
class Coverage:
    earliest_event_at: datetime | None
    covered_through: datetime | None
    freshness: Literal["fresh", "stale", "unknown"]
    stale_since: datetime | None
    completeness: str
    record_count: int
    records_text: str
    lanes: tuple[Lane, ...]
    media: Media  # the same type as a receipt's
    gaps: tuple[Gap, ...]
    freshness_text: str = ""  # "Stale since 27 Sep 2026", "Freshness not measured yet"; empty when fresh
    # Per lane, buckets of the owner's days (``projection.timeline``); loaded for one source's page
    # (``load_one(..., timeline=True)``), else None: the dashboard never reads the per-slot counts.
    timeline: Timeline | None = None
    streams: tuple[StreamCoverage, ...] = ()  # per stream, for sources of several (loaded with the timeline)

    @property
    def upload_words(self) -> str:
        """The upload button's words (UI.md): "Upload a newer export" once an export of this source is held, else
        "Upload the export" (a phone's pushes or a feed's pulls are no export)."""
        held = any(lane.method in FILE_METHODS and lane.records for lane in self.lanes)
        return "Upload a newer export" if held else "Upload the export"
    streams_text: str = ""  # "Workouts end 3 Mar 2024; samples run to 1 Dec 2024." when a stream stopped early


@dataclass(frozen=True)
class Advisory:
    kind: str
    severity: Literal["advisory", "blocking"]
    detail: str
    batch_id: int | None


@dataclass(frozen=True)
class Action:
    kind: str
    label: str
    url: str
    blocking: bool
    audience: Literal["owner", "operator"]
    urgency: Literal["now", "soon"]
    method: Literal["GET", "POST"] = "GET"
    confirm: str = ""  # the question to confirm before sending; empty: no confirmation


@dataclass(frozen=True)
class LatestActivity:
    batch_id: int | None  # None: a push that was refused (nothing of it was kept)
    outcome: Literal["committed", "duplicate", "rejected"]
    at: datetime
    duplicate_of: int | None
    text: str  # "The upload of 24 Nov 2026 was already imported (1 Dec 2026 · chat.txt): nothing new"


# Actions that manage a source (pause, mute) rather than answer a need: offered last, never the card's button.
MANAGE_ACTIONS = frozenset({"pause", "mute", "unmute"})


@dataclass(frozen=True)
class ConnectionHealth:
    connection: ConnectionRef
    verdict: Verdict
    readiness: Readiness
    schedule: Schedule
    work: Work
    coverage: Coverage
    advisories: tuple[Advisory, ...]
    actions: tuple[Action, ...]
    latest_receipt: Receipt | None
    latest_activity: LatestActivity | None = None

    @property
    def primary_action(self) -> Action | None:
        """The card's button: the first action, unless it only manages the source (those wait in the menu)."""
        first = self.actions[0] if self.actions else None
        return first if first is not None and first.kind not in MANAGE_ACTIONS else None

    @property
    def menu_actions(self) -> tuple[Action, ...]:
        """Every action but the card's button, in order."""
        return self.actions[1:] if self.primary_action is not None else self.actions

    @property
    def needs_owner_now(self) -> bool:
        return any(a.audience == "owner" and a.urgency == "now" for a in self.actions)

    @property
    def bucket(self) -> str:
        """Where the dashboard counts and places this card: the first of ``BUCKETS`` that applies."""
        state = self.verdict.state
        if state == "failing":
            return "cant_collect"
        if state == "degraded":
            return "having_trouble"
        if self.needs_owner_now:
            return "needs_you"
        if state == "paused":
            return "paused"
        if state == "attention" or self.advisories:
            return "suggestions"
        if state == "healthy" and self.verdict.tone == "ok":
            return "up_to_date"
        return "not_measured"


# The dashboard's buckets in order of urgency (UI.md, "Layout"), each with its words (one, many).
BUCKETS: dict[str, tuple[str, str]] = {
    "cant_collect": ("can't collect", "can't collect"),
    "having_trouble": ("having trouble", "having trouble"),
    "needs_you": ("needs you", "need you"),
    "suggestions": ("has suggestions", "have suggestions"),
    "paused": ("paused", "paused"),
    "not_measured": ("not measured yet", "not measured yet"),
    "up_to_date": ("up to date", "up to date"),
}


@dataclass(frozen=True)
class SummaryPart:
    key: str  # a key of ``BUCKETS``
    count: int
    text: str  # "2 need you"


@dataclass(frozen=True)
class DashboardSummary:
    """The dashboard's first line and its cards: every card in exactly one bucket, in order of urgency."""

    total: int
    needs_you: int
    suggestions: int
    healthy: int  # "Up to date" cards only; never-measured ones are not counted here
    sentence: str
    parts: tuple[SummaryPart, ...] = ()
    cards: tuple[ConnectionHealth, ...] = ()


@dataclass(frozen=True)
class SystemHealth:
    """The installation's own runtime, shown once on the dashboard."""

    state: Literal["healthy", "degraded"]
    tone: Tone
    headline: str
    worker: ReadinessFact
