"""The one projection of a connection's health and coverage (DESIGN.md, projection contract).

``project(evidence, now)`` is pure: evidence rows and a time in, a frozen
``ConnectionHealth`` out. It runs no query and reads no clock, so the same
evidence and ``now`` give the same projection byte for byte. The loader in
``coverage.evidence`` fetches evidence for many connections in a constant
number of queries.

It keeps the two questions apart: ``readiness``, ``schedule`` and ``work``
answer "is the pipe working?"; ``coverage`` answers "what data do I have?".
Coverage facts raise the verdict no higher than ``attention`` unless the
connector declares that gap kind blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from connections.connectors.manifest import METHOD_LABELS, METHODS, Manifest
from connections.models import CollectionRun, Condition, Connection

from .models import AcquisitionBatch, CoverageSummary, LaneSummary
from .receipts import Receipt, build_receipt, count_words, day

State = Literal["setup_required", "paused", "failing", "degraded", "attention", "healthy"]
Tone = Literal["neutral", "critical", "warning", "info", "ok"]
ReadinessState = Literal["ready", "missing", "rejected", "expired", "unavailable", "unknown", "not_required"]

TONES: dict[str, str] = {
    "setup_required": "neutral",
    "paused": "neutral",
    "failing": "critical",
    "degraded": "warning",
    "attention": "info",
    "healthy": "ok",
}
FAILING_AFTER = 3  # consecutive failed collections
OVERDUE_GRACE = timedelta(minutes=10)


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
    commit failed for good (status ``failed``), if any.
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


@dataclass(frozen=True)
class FailedImport:
    """An import whose commit failed for good: nothing of it is visible; the owner may try again."""

    batch_id: int
    filename: str
    created_at: datetime
    reason: str


# ---------------------------------------------------------------- output


@dataclass(frozen=True)
class ConnectionRef:
    slug: str
    name: str
    connector: str
    connector_name: str


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


@dataclass(frozen=True)
class LastRun:
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error_class: str


@dataclass(frozen=True)
class Work:
    last_run: LastRun | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int


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
class MediaCoverage:
    declared: int
    attached: int
    missing: int


@dataclass(frozen=True)
class Hole:
    start: str
    end: str
    days: int


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
    media: MediaCoverage
    gaps: tuple[Hole, ...]


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

    @property
    def needs_owner_now(self) -> bool:
        return any(a.audience == "owner" and a.urgency == "now" for a in self.actions)


@dataclass(frozen=True)
class DashboardSummary:
    total: int
    needs_you: int
    suggestions: int
    healthy: int
    sentence: str


@dataclass(frozen=True)
class SystemHealth:
    """The installation's own runtime, shown once on the dashboard."""

    state: Literal["healthy", "degraded"]
    tone: Tone
    headline: str
    worker: ReadinessFact


# ---------------------------------------------------------------- the rules


def source_url(slug: str, part: str = "") -> str:
    """Owner page addresses, fixed here so the projection can name them without a request."""
    return f"/sources/{slug}/{part}" if part else f"/sources/{slug}/"


def project(evidence: Evidence, now: datetime) -> ConnectionHealth:
    """The health and coverage of one connection at ``now``. Pure."""
    ev = evidence
    conn, manifest = ev.connection, ev.manifest
    credential = _credential(ev, now)
    runtime = _runtime(ev, now)
    work = _work(ev)
    schedule = _schedule(conn, now)
    coverage = _coverage(ev, now)
    advisories = _advisories(ev, coverage)
    has_evidence = bool(ev.lanes) or bool(ev.runs) or (ev.summary is not None and ev.summary.latest_batch_id)
    noun = manifest.record_noun
    slug = conn.slug
    span = _span(coverage)

    actions: list[Action] = []

    def act(kind, label, part="", *, urgency="soon", blocking=False, audience="owner"):
        if all(a.kind != kind for a in actions):
            method = "POST" if kind in POST_ACTIONS else "GET"
            actions.append(Action(kind, label, source_url(slug, part), blocking, audience, urgency, method))

    if ev.failed_import is not None:
        # Nothing else can bring that file in: trying again is the first thing to offer.
        act("retry", "Try again now", "import/retry/", urgency="now")
        act("add_artifact", "Upload the file again", "upload/")
    failed_only = ev.failed_import is not None and not has_evidence

    blocking = [a for a in advisories if a.severity == "blocking"]
    push_or_pull = not manifest.is_manual
    stale_pipe = push_or_pull and coverage.freshness == "stale"

    if credential.state == "missing" or not has_evidence:
        state = "setup_required"
        if credential.state == "missing":
            headline = "Not connected yet"
            forward = "Connect this source so Ownerhub can start collecting."
            act("connect", "Connect", "#connect", urgency="now")
        elif failed_only:
            headline = advisories[0].detail
            forward = _forward_for("failed_import", manifest)
            act("add_artifact", "Import an export", "upload/", urgency="now")
        elif manifest.is_manual:
            headline = f"No {noun[1]} imported yet"
            forward = "Import an export to see what data you have."
            act("add_artifact", "Import an export", "upload/", urgency="now")
        else:
            headline = f"No {noun[1]} received yet"
            forward = "Finish setting up the source; its data appears here when the first batch arrives."
            act("connect", "Finish setup", "#connect", urgency="now")
    elif conn.schedule_policy == Connection.Policy.PAUSED:
        state = "paused"
        headline = f"Paused · {span}" if span else "Paused"
        forward = "Nothing is collected while paused. Resume to continue."
        act("resume", "Resume", "resume/")
    elif credential.state in ("rejected", "expired") or blocking or work.consecutive_failures >= FAILING_AFTER:
        state = "failing"
        if credential.state in ("rejected", "expired"):
            verb = "refused" if credential.state == "rejected" else "expired"
            headline = f"Access {verb} on {day(credential.observed_at)}"
            forward = "Reconnect to let Ownerhub collect again; it will not retry until then."
            act("reconnect", "Reconnect", "#connect", urgency="now", blocking=True)
        elif blocking:
            headline = blocking[0].detail
            kind, label, part = _ADVISORY_ACTIONS[blocking[0].kind]
            forward = _forward_for(blocking[0].kind, manifest, blocking=True)
            act(kind, label, part, urgency="now", blocking=True)
        else:
            headline = f"The last {work.consecutive_failures} collections failed"
            forward = "Ownerhub keeps trying on schedule; retry now once the source is reachable."
            act("retry", "Retry now", "retry/", urgency="now", blocking=True)
    elif work.consecutive_failures or runtime.state == "unavailable" or stale_pipe:
        state = "degraded"
        if work.consecutive_failures:
            headline = f"The last collection failed on {day(work.last_failure_at)}"
            when = f" at {_clock(schedule.next_due_at)}" if schedule.next_due_at else ""
            forward = f"Ownerhub will try again{when}; you can also retry now."
            act("retry", "Retry now", "retry/")
        elif runtime.state == "unavailable":
            headline = "The collector for this source is not running"
            forward = "Collection resumes when the collector is back; an operator has been told."
            act("check_runtime", "Check the collector", "", audience="operator")
        elif manifest.path("device_sync"):
            headline = f"The phone has not reported since {day(_push_reference(ev))}"
            forward = "Open the app on your phone and check its server address and token."
            act("check_device", "Check the phone", "#connect")
        else:
            headline = f"No successful collection since {day(work.last_success_at)}"
            forward = "Ownerhub keeps trying on schedule; retry now if the source is reachable."
            act("retry", "Retry now", "retry/")
    elif advisories:
        state = "attention"
        headline = span or f"No {noun[1]} yet"
        forward = _forward_for(advisories[0].kind, manifest)
    else:
        state = "healthy"
        known = coverage.freshness == "fresh" and "unknown" not in (credential.state, runtime.state)
        headline = span if known else f"{span} · not measured yet" if span else "Not measured yet"
        if manifest.is_manual:
            forward = "Nothing needs you now. Import a newer export whenever you like."
            act("add_artifact", "Import a newer export", "upload/")
        elif schedule.next_due_at and schedule.policy == "interval":
            forward = f"Nothing needs you now. Next collection at {_clock(schedule.next_due_at)}."
        else:
            forward = "Nothing needs you now. New data arrives as the source sends it."

    for advisory in advisories:
        kind, label, part = _ADVISORY_ACTIONS[advisory.kind]
        if advisory.kind == "stale_owner_artifact":
            act("re_export", "Re-export", "#re-export", blocking=advisory.severity == "blocking")
            act("add_artifact", "Upload a newer export", "upload/")
        else:
            act(kind, label, part, blocking=advisory.severity == "blocking")

    if state == "healthy":
        label = "Up to date" if known else "No problems found"
    elif state == "attention":
        kinds = {a.kind for a in advisories}
        if kinds == {"missing_media"}:
            label = "Media missing"
        elif kinds & {"stale_owner_artifact", "partial_artifact"}:
            label = "Needs a refresh"
        else:
            label = "Needs a look"
    else:
        label = _LABELS[state]

    return ConnectionHealth(
        connection=ConnectionRef(conn.slug, conn.name, conn.connector, manifest.name),
        verdict=Verdict(state, label, TONES[state], headline, forward),
        readiness=Readiness(credential, runtime),
        schedule=schedule,
        work=work,
        coverage=coverage,
        advisories=tuple(advisories),
        actions=tuple(actions),
        latest_receipt=build_receipt(ev.latest_batch) if ev.latest_batch is not None else None,
    )


POST_ACTIONS = frozenset({"resume", "retry", "pause"})  # actions that change something: sent as POST

_LABELS = {
    "setup_required": "Finish setup",
    "paused": "Paused",
    "failing": "Can't collect",
    "degraded": "Having trouble",
}

# advisory kind -> (action kind, label, page part)
_ADVISORY_ACTIONS = {
    "stale_owner_artifact": ("re_export", "Re-export", "#re-export"),
    "missing_media": ("add_media", "Add media", "upload/"),
    "partial_artifact": ("re_export", "Re-export", "#re-export"),
    "coverage_hole": ("add_artifact", "Fill the gap", "upload/"),
    "parser_warning": ("review_import", "Review the import", ""),
    "failed_import": ("retry", "Try again now", "import/retry/"),
}


def _forward_for(advisory_kind: str, manifest: Manifest, *, blocking: bool = False) -> str:
    if advisory_kind == "stale_owner_artifact":
        text = manifest.re_export_hint or "Export the data again to add newer records."
    elif advisory_kind == "partial_artifact":
        text = "The last export looked cut short: export it again to get everything."
    elif advisory_kind == "missing_media":
        text = "Export again with media included to add the missing files."
    elif advisory_kind == "coverage_hole":
        text = "Upload an export that covers the gap to fill it."
    elif advisory_kind == "failed_import":
        text = "Nothing from it was saved. Try again now, or upload the file again."
    else:
        text = "Review the last import: some items could not be read."
    return f"{text} Collection is blocked until then." if blocking else text


def _active(conditions, type_: str, now: datetime) -> Condition | None:
    live = [
        c
        for c in conditions
        if c.type == type_
        and c.superseded_at is None
        and (c.expires_at is None or c.expires_at > now)
        and c.observed_at <= now
    ]
    return max(live, key=lambda c: (c.observed_at, c.pk or 0), default=None)


def _credential(ev: Evidence, now: datetime) -> ReadinessFact:
    if not any(p.needs_credential for p in ev.manifest.paths):
        return ReadinessFact("not_required", "", None)
    cond = _active(ev.conditions, Condition.Type.CREDENTIAL, now)
    if cond is not None:
        return ReadinessFact(cond.status, cond.reason or cond.status, cond.observed_at)
    if not ev.credential_captured:
        return ReadinessFact("missing", "no_credential", None)
    return ReadinessFact("unknown", "not_probed", None)


def _runtime(ev: Evidence, now: datetime) -> ReadinessFact:
    cond = _active(ev.conditions, Condition.Type.RUNTIME, now)
    if cond is not None:
        return ReadinessFact(cond.status, cond.reason or cond.status, cond.observed_at)
    if ev.manifest.is_manual:
        return ReadinessFact("not_required", "", None)
    return ReadinessFact("unknown", "not_probed", None)


def _work(ev: Evidence) -> Work:
    finished = [r for r in ev.runs if r.outcome != CollectionRun.Outcome.RUNNING]
    failures = 0
    for run in finished:
        if run.outcome != CollectionRun.Outcome.FAILURE:
            break
        failures += 1
    last_success = ev.last_success_at or max(
        (r.finished_at or r.started_at for r in finished if r.succeeded), default=None
    )
    last_failure = ev.last_failure_at or max(
        (r.finished_at or r.started_at for r in finished if r.outcome == CollectionRun.Outcome.FAILURE), default=None
    )
    last = ev.runs[0] if ev.runs else None
    return Work(
        last_run=LastRun(last.started_at, last.finished_at, last.outcome, last.error_class) if last else None,
        last_success_at=last_success,
        last_failure_at=last_failure,
        consecutive_failures=failures,
    )


def _schedule(conn: Connection, now: datetime) -> Schedule:
    overdue = bool(
        conn.schedule_policy == Connection.Policy.INTERVAL
        and conn.next_due_at is not None
        and now > conn.next_due_at + OVERDUE_GRACE
    )
    return Schedule(conn.schedule_policy, conn.interval_seconds, conn.next_due_at, overdue)


def _push_reference(ev: Evidence) -> datetime | None:
    return max((lane.last_batch_at for lane in ev.lanes if lane.method == "device_sync" and lane.last_batch_at),
               default=None)


def _freshness(ev: Evidence, covered_through: datetime | None, now: datetime):
    """(freshness, stale_since). Manual sources by covered data; pulls by last success; pushes by last report."""
    manifest = ev.manifest
    threshold = manifest.expected_refresh
    if manifest.is_manual:
        reference = covered_through
    elif manifest.path("provider_api"):
        reference = ev.last_success_at or max(
            (r.finished_at or r.started_at for r in ev.runs if r.succeeded), default=None
        )
        if ev.connection.interval_seconds:
            threshold = max(threshold, timedelta(seconds=2 * ev.connection.interval_seconds))
    else:
        reference = _push_reference(ev)
    if reference is None:
        return "unknown", None
    if now - reference > threshold:
        return "stale", reference + threshold
    return "fresh", None


def _coverage(ev: Evidence, now: datetime) -> Coverage:
    summary = ev.summary
    lanes = sorted(ev.lanes, key=lambda lane: METHODS.index(lane.method) if lane.method in METHODS else 99)
    covered_through = summary.covered_through if summary else None
    freshness, stale_since = _freshness(ev, covered_through, now)
    count = summary.record_count if summary else 0
    claim = ev.latest_batch.completeness_claim if ev.latest_batch is not None else "observed"
    return Coverage(
        earliest_event_at=summary.earliest_event_at if summary else None,
        covered_through=covered_through,
        freshness=freshness,
        stale_since=stale_since,
        completeness="complete" if claim == "complete" else "observed",
        record_count=count,
        records_text=count_words(count, ev.manifest.record_noun),
        lanes=tuple(
            Lane(
                lane.method,
                METHOD_LABELS.get(lane.method, lane.method),
                lane.batches,
                lane.records,
                lane.earliest_event_at,
                lane.covered_through,
                lane.last_batch_at,
            )
            for lane in lanes
        ),
        media=MediaCoverage(
            summary.media_declared if summary else 0,
            summary.media_attached if summary else 0,
            (summary.media_missing + summary.media_omitted) if summary else 0,
        ),
        gaps=tuple(Hole(h["start"], h["end"], h["days"]) for h in (summary.holes if summary else ()) or ()),
    )


def _advisories(ev: Evidence, coverage: Coverage) -> list[Advisory]:
    manifest, summary = ev.manifest, ev.summary
    noun = manifest.record_noun
    found: list[tuple[str, str, int | None]] = []
    if manifest.is_manual and coverage.freshness == "stale":
        found.append(
            (
                "stale_owner_artifact",
                f"The newest {noun[0]} imported is from {day(coverage.covered_through)}.",
                summary.latest_batch_id if summary else None,
            )
        )
    if coverage.media.missing:
        found.append(
            (
                "missing_media",
                f"{coverage.media.missing:,} of {coverage.media.declared:,} media files were not included.",
                summary.media_batch_id if summary else None,
            )
        )
    partial = next((lane.partial_batch_id for lane in ev.lanes if lane.partial_batch_id), None)
    if partial:
        found.append(("partial_artifact", "The last export looked cut short; some data may be missing.", partial))
    if coverage.gaps:
        hole = coverage.gaps[0]
        more = f" and {len(coverage.gaps) - 1} more" if len(coverage.gaps) > 1 else ""
        start, end = (day(datetime.fromisoformat(d)) for d in (hole.start, hole.end))
        found.append(("coverage_hole", f"No {noun[1]} from {start} to {end}{more}.", None))
    failed = ev.failed_import
    if failed is not None:
        name = f" of {failed.filename}" if failed.filename else ""
        found.insert(0, ("failed_import", f"The import{name} on {day(failed.created_at)} did not finish.",
                         failed.batch_id))
    latest = ev.latest_batch
    if latest is not None and latest.count_failed:
        found.append(
            (
                "parser_warning",
                f"{latest.count_failed:,} item{'s' if latest.count_failed != 1 else ''} in the last import could not be read.",
                latest.pk,
            )
        )
    return [
        Advisory(kind, "blocking" if kind in manifest.blocking_gaps else "advisory", detail, batch_id)
        for kind, detail, batch_id in found
    ]


def _span(coverage: Coverage) -> str:
    start, end = coverage.earliest_event_at, coverage.covered_through
    if not start or not end:
        return ""
    if start.date() == end.date():
        return f"Covers {day(end)}"
    first = f"{start.day} {start:%b}" if start.year == end.year else day(start)
    return f"Covers {first} to {day(end)}"


def _clock(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "the next scheduled time"


# ---------------------------------------------------------------- many connections, the installation


def summarize(healths: list[ConnectionHealth]) -> DashboardSummary:
    """The dashboard's first line: who needs the owner now, who has suggestions, who is fine."""
    needs = sum(1 for h in healths if h.needs_owner_now)
    suggestions = sum(1 for h in healths if not h.needs_owner_now and h.advisories)
    healthy = sum(1 for h in healths if h.verdict.state == "healthy")
    parts = [
        f"{needs} source{' needs' if needs == 1 else 's need'} you",
        f"{suggestions} {'has' if suggestions == 1 else 'have'} suggestions",
        f"{healthy} up to date",
    ]
    return DashboardSummary(len(healths), needs, suggestions, healthy, " · ".join(parts))


def project_system(heartbeat: Condition | None, now: datetime, interval_seconds: int) -> SystemHealth:
    """The installation's runtime from the worker's latest heartbeat.

    The worker is ``unavailable`` when its heartbeat is older than twice its interval.
    """
    if heartbeat is None:
        fact = ReadinessFact("unknown", "no_heartbeat", None)
        return SystemHealth(
            "degraded", "warning", "The background worker has not started yet: imports wait until it runs.", fact
        )
    age = now - heartbeat.observed_at
    if age > timedelta(seconds=2 * interval_seconds):
        fact = ReadinessFact("unavailable", "heartbeat_missing", heartbeat.observed_at)
        return SystemHealth(
            "degraded",
            "warning",
            f"The background worker has not reported since {_clock(heartbeat.observed_at)}: "
            "imports and scheduled collections wait until it is back.",
            fact,
        )
    return SystemHealth("healthy", "ok", "The background worker is running.", ReadinessFact(
        "ready", "heartbeat", heartbeat.observed_at))
