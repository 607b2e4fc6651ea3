"""The facts of one connection at ``now``, each from the evidence alone: readiness, work, schedule,
coverage and advisories. The verdict (``verdict.py``) reads these; nothing here decides a state.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connections.connectors.manifest import METHOD_LABELS, METHODS
from connections.models import CollectionRun, Condition, Connection

from ..days import owner_gaps
from ..receipts import Gap, Media
from ..words import (
    ITEM,
    between,
    count,
    day,
    import_name,
    interval,
    part_of,
    pick,
    when,
)
from .timeline import streams_of, timeline_of
from .types import (
    Advisory,
    Coverage,
    Evidence,
    FolderFile,
    ImportInFlight,
    Lane,
    LastRun,
    LatestActivity,
    PreviewsWaiting,
    ReadinessFact,
    Schedule,
    SkippedPulls,
    WatchedFolder,
    Work,
)

OVERDUE_GRACE = timedelta(minutes=10)
COLLECTION = ("collection", "collections")
PREVIEW = ("preview", "previews")
FILE = ("file", "files")
IMPORT = ("import", "imports")
_SKIPPED_WHILE = {
    CollectionRun.Skip.REFUSED: "while access was refused",
    CollectionRun.Skip.WORKER_DOWN: "while the background worker was not running",
}


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


def exports_only(ev: Evidence) -> bool:
    """A source that can be connected (a phone, a feed) but holds only what the owner uploaded.

    No credential is captured and every lane came by a path that needs none: it is judged
    like an export source (its covered data against the cadence), and connecting is a suggestion.
    """
    if ev.credential_captured or not ev.lanes:
        return False
    paths = [ev.manifest.path(lane.method) for lane in ev.lanes]
    return all(p is not None and not p.needs_credential for p in paths)


def pulled_when_asked(ev: Evidence) -> bool:
    """A pulled source the owner collects only when they ask: old data is theirs to refresh, not a broken pipe."""
    return (ev.manifest.path("provider_api") is not None and not ev.manifest.is_manual
            and ev.connection.schedule_policy == Connection.Policy.MANUAL)


def _last_pull(ev: Evidence) -> datetime | None:
    return ev.last_success_at or max((r.finished_at or r.started_at for r in ev.runs if r.succeeded), default=None)


def judged_by_exports(ev: Evidence) -> bool:
    """Freshness from covered data, and stale data an advisory: an export source, or one holding only exports."""
    return ev.manifest.is_manual or exports_only(ev)


def credential_of(ev: Evidence, now: datetime) -> ReadinessFact:
    if not any(p.needs_credential for p in ev.manifest.paths):
        return ReadinessFact("not_required", "", None)
    cond = _active(ev.conditions, Condition.Type.CREDENTIAL, now)
    if cond is not None:
        return ReadinessFact(cond.status, cond.reason or cond.status, cond.observed_at)
    if not ev.credential_captured:
        return ReadinessFact("missing", "no_credential", None)
    return ReadinessFact("unknown", "not_probed", None)


def checking_address(credential: ReadinessFact, work: Work) -> bool:
    """A new feed address was saved (``connections.reconnect``) and no pull from it has finished yet:
    the old failures were about the old address, so the card says it is checking instead."""
    if credential.reason != "new_address" or credential.observed_at is None:
        return False
    last = work.last_run
    return last is None or last.started_at < credential.observed_at or last.outcome == CollectionRun.Outcome.RUNNING


def runtime_of(ev: Evidence, now: datetime) -> ReadinessFact:
    cond = _active(ev.conditions, Condition.Type.RUNTIME, now)
    if cond is not None:
        return ReadinessFact(cond.status, cond.reason or cond.status, cond.observed_at)
    if judged_by_exports(ev):  # nothing runs for it: uploads are read by the installation's worker
        return ReadinessFact("not_required", "", None)
    return ReadinessFact("unknown", "not_probed", None)


def imports_of(ev: Evidence) -> tuple[ImportInFlight, ...]:
    """Imports being saved, as the card says them; stalled while the worker is down (a system fact)."""
    found = []
    for imp in ev.importing:
        noun = ev.manifest.record_noun
        so_far = (f" · {part_of(imp.counted, imp.total, noun)}" if imp.total
                  else f" · {count(imp.counted, noun)} so far" if imp.counted else "")
        wait = "; it waits for the background worker" if ev.worker_down else ""
        found.append(ImportInFlight(imp.batch_id, "saving" if imp.total else "reading", imp.counted,
                                    imp.total or None, imp.started_at, ev.worker_down,
                                    f"Saving your import{so_far}{wait}"))
    return tuple(found)


# What the newest delivery that came without an owner's file is called: nothing was "imported" by
# the owner, and a push or a collection that brought only known records is not "already imported".
_LIVE_LEADS = {
    "device_sync": "Last push from the phone",
    "browser_polyfill": "Last push from the browser",
    "provider_api": "Last collection from the feed",
}


def refused_push(ev: Evidence) -> CollectionRun | None:
    """The newest run, when it counts pushes that could not be read (``connections.ingest.count_bad_payload``):
    the phone's last push was refused, until a push that can be read closes the run with a success."""
    run = next((r for r in ev.runs if r.attempted), None)
    refused = run is not None and run.trigger == "push" and run.outcome == CollectionRun.Outcome.FAILURE
    return run if refused else None


def activity_of(ev: Evidence) -> LatestActivity | None:
    """What the newest upload or push did; a duplicate is "already imported", never a problem.

    A refused push (no batch: nothing of it was kept) is the newest activity until a later upload or push.
    """
    up, tz = ev.latest_upload, ev.time_zone
    refused = refused_push(ev)
    if refused is not None:
        at = refused.finished_at or refused.started_at
        if up is None or up.at <= at:
            return LatestActivity(None, "rejected", at, None,
                                  f"{_LIVE_LEADS['device_sync']}, {day(at, tz)}, was refused: {refused.message}")
    if up is None:
        return None
    name = import_name(up.at, up.filename, tz)
    lead = _LIVE_LEADS.get(up.method)
    if lead is not None:
        text = {"duplicate": f"{lead}, {name}, brought nothing new",
                "rejected": f"{lead}, {name}, was refused" + (f": {up.reason}" if up.reason else "")}.get(
                    up.status, f"{lead}: {name}")
    elif up.status == "duplicate":
        earlier = f" ({import_name(up.duplicate_of_at, up.duplicate_of_filename, tz)})" if up.duplicate_of_at else ""
        text = f"Last upload, {name}, was already imported{earlier}: nothing new"
    elif up.status == "rejected":
        text = f"Last upload, {name}, was not imported" + (f": {up.reason}" if up.reason else "")
    else:
        text = f"Last import: {name}"
    if up.trigger == "watched_folder":
        text += ", from your folder"
    return LatestActivity(up.batch_id, up.status, up.at, up.duplicate_of, text)


def pulls_wait_for_worker(ev: Evidence) -> bool:
    """A scheduled pull source while the background worker is down: its pulls wait (a system fact).

    Only once the worker has been seen: before that, nothing was ever pulled on schedule.
    """
    return (ev.worker_down and ev.worker_seen_at is not None and ev.manifest.path("provider_api") is not None
            and ev.connection.schedule_policy == Connection.Policy.INTERVAL)


def skipped_of(ev: Evidence) -> SkippedPulls | None:
    """The newest stretch of skipped pulls among the recent runs, in owner words."""
    run = next((r for r in ev.runs if r.outcome == CollectionRun.Outcome.SKIPPED and r.missed), None)
    if run is None:
        return None
    until = run.finished_at or run.started_at
    text = (f"{count(run.missed, COLLECTION)} {pick(run.missed, ('was', 'were'))} skipped "
            f"{_SKIPPED_WHILE.get(run.error_class, '')} {between(run.started_at, until, ev.time_zone)}")
    return SkippedPulls(run.missed, run.error_class, run.started_at, run.finished_at, " ".join(text.split()))


def previews_of(ev: Evidence) -> PreviewsWaiting | None:
    """Previews the owner has not imported yet (and that have not expired): the newest one's page is the link."""
    if not ev.previews_waiting or ev.newest_preview_id is None:
        return None
    n, reading = ev.previews_waiting, min(ev.previews_reading, ev.previews_waiting)
    text = f"{count(n, PREVIEW)} waiting for you"
    if reading == n:  # nothing to look at yet: the worker has still to read them
        text = f"{count(n, FILE)} being read"
    elif reading:
        text += f" ({reading:,} still being read)"
    if ev.folder_waiting:  # a file the watched folder took that the worker could not import on its own
        text = ("A file in your folder needs an answer" if ev.folder_waiting == 1
                else f"{ev.folder_waiting:,} files in your folder need an answer")
    # The folder file's own preview, not merely the newest one (an upload may be newer).
    batch_id = ev.folder_preview_id if ev.folder_waiting and ev.folder_preview_id else ev.newest_preview_id
    return PreviewsWaiting(n, batch_id, f"/receipts/{batch_id}/", text)


# What the file last picked up from the watched folder did, by its batch's status.
_FOLDER_OUTCOMES = {
    "committed": ("imported", "imported"),
    "preview": ("waiting", "needs an answer"),
    "committing": ("importing", "being imported"),
    "duplicate": ("duplicate", "already imported, nothing new"),
    "rejected": ("rejected", "not imported"),
    "failed": ("rejected", "not imported"),
}


def folder_of(ev: Evidence) -> WatchedFolder | None:
    """This source's watched folder and the file last picked up from it (None: no folder is watched)."""
    if not ev.folder_path:
        return None
    up = ev.folder_last
    if up is None:
        return WatchedFolder(ev.folder_path, None)
    outcome, said = _FOLDER_OUTCOMES.get(up.status, ("rejected", "not imported"))
    text = f"picked up {when(up.at, ev.time_zone)}: {said}"
    return WatchedFolder(ev.folder_path, FolderFile(up.batch_id, up.filename, up.at, outcome,
                                                    f"/receipts/{up.batch_id}/", text))


# What the last attempt did, after its label and time: "Last collection today at 21:42 UTC: failed".
_RUN_OUTCOMES = {
    CollectionRun.Outcome.RUNNING: "running",
    CollectionRun.Outcome.SUCCESS: "succeeded",
    CollectionRun.Outcome.FAILURE: "failed",
    CollectionRun.Outcome.NOT_MODIFIED: "nothing new",
}


def last_run_of(run: CollectionRun | None, ev: Evidence, now: datetime) -> LastRun | None:
    if run is None:
        return None
    label = "Last push" if run.trigger == "push" else "Last collection"
    text = f"{label} {when(run.started_at, ev.time_zone, now)}: {_RUN_OUTCOMES.get(run.outcome, run.outcome)}"
    return LastRun(run.started_at, run.finished_at, run.outcome, run.error_class, label, text)


def work_of(ev: Evidence, now: datetime) -> Work:
    attempted = tuple(r for r in ev.runs if r.attempted)  # a skipped pull is not a failure of the source
    finished = [r for r in attempted if r.outcome != CollectionRun.Outcome.RUNNING]
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
    last = attempted[0] if attempted else None
    return Work(
        last_run=last_run_of(last, ev, now),
        last_success_at=last_success,
        last_failure_at=last_failure,
        consecutive_failures=failures,
        imports=imports_of(ev),
        skipped=skipped_of(ev),
        previews=previews_of(ev),
        folder=folder_of(ev),
    )


def schedule_of(ev: Evidence, credential: ReadinessFact, now: datetime) -> Schedule:
    """The schedule as it stands: a refused credential holds every pull until the owner reconnects."""
    conn, tz = ev.connection, ev.time_zone
    if conn.schedule_policy == Connection.Policy.PAUSED:
        text = "Paused: uploads still work, reminders stop" if ev.manifest.is_manual else "Paused"
        return Schedule(conn.schedule_policy, conn.interval_seconds, conn.next_due_at, False, text)
    if conn.schedule_policy != Connection.Policy.INTERVAL:
        text = ("When you upload an export" if ev.manifest.is_manual
                else "Only when you ask" if ev.manifest.path("provider_api") else "When the source sends data")
        return Schedule(conn.schedule_policy, conn.interval_seconds, conn.next_due_at, False, text)
    every = f"Every {interval(conn.interval_seconds)}"
    if credential.state in ("rejected", "expired"):
        held = "paste another address" if credential.reason == "internal_address" else "reconnect"
        return Schedule(conn.schedule_policy, conn.interval_seconds, None, False, f"Paused until you {held}",
                        "reconnect")
    if pulls_wait_for_worker(ev):
        return Schedule(conn.schedule_policy, conn.interval_seconds, conn.next_due_at, False,
                        f"{every}; the next collection waits for the background worker", "worker")
    overdue = bool(conn.next_due_at is not None and now > conn.next_due_at + OVERDUE_GRACE)
    text = every
    if conn.next_due_at is not None:
        text += "; the next collection is late" if overdue else f"; next {when(conn.next_due_at, tz, now)}"
    return Schedule(conn.schedule_policy, conn.interval_seconds, conn.next_due_at, overdue, text)


def push_reference(ev: Evidence) -> datetime | None:
    """The newest point a device recorded: live freshness follows what was recorded, not when it was sent."""
    return max((lane.covered_through for lane in ev.lanes if lane.method == "device_sync" and lane.covered_through),
               default=None)


def push_reported(ev: Evidence) -> datetime | None:
    """When a device last sent anything."""
    return max((lane.last_batch_at for lane in ev.lanes if lane.method == "device_sync" and lane.last_batch_at),
               default=None)


def replaying(ev: Evidence, now: datetime) -> bool:
    """The device reports, but what it sends is old: its clock is wrong, or it replays old points."""
    reported, newest = push_reported(ev), push_reference(ev)
    threshold = ev.manifest.expected_refresh
    return bool(reported and newest and now - reported <= threshold < now - newest)


def _freshness(ev: Evidence, covered_through: datetime | None, now: datetime):
    """(freshness, stale_since). Manual sources by covered data; pulls by last success; pushes by last report."""
    manifest = ev.manifest
    threshold = manifest.expected_refresh
    if judged_by_exports(ev):
        reference = covered_through
    elif manifest.path("provider_api"):
        reference = _last_pull(ev)
        if ev.connection.interval_seconds:
            threshold = max(threshold, timedelta(seconds=2 * ev.connection.interval_seconds))
        if pulls_wait_for_worker(ev):  # pulls missed while the worker is down are not the source's fault
            now = min(now, ev.worker_seen_at)
    else:
        reference = push_reference(ev)
    if reference is None:
        return "unknown", None
    if now - reference > threshold:
        return "stale", reference + threshold
    return "fresh", None


def coverage_of(ev: Evidence, now: datetime) -> Coverage:
    summary = ev.summary
    lanes = sorted(ev.lanes, key=lambda lane: METHODS.index(lane.method) if lane.method in METHODS else 99)
    covered_through = summary.covered_through if summary else None
    freshness, stale_since = _freshness(ev, covered_through, now)
    records = summary.record_count if summary else 0
    claim = ev.latest_batch.completeness_claim if ev.latest_batch is not None else "observed"
    return Coverage(
        earliest_event_at=summary.earliest_event_at if summary else None,
        covered_through=covered_through,
        freshness=freshness,
        stale_since=stale_since,
        completeness="complete" if claim == "complete" else "observed",
        record_count=records,
        records_text=count(records, ev.manifest.record_noun),
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
        media=Media(
            summary.media_declared if summary else 0,
            summary.media_attached if summary else 0,
            summary.media_missing if summary else 0,
            summary.media_omitted if summary else 0,
        ),
        gaps=tuple(Gap(*g) for g in owner_gaps(summary.holes if summary else (), ev.time_zone)),
        freshness_text=(f"Stale since {day(stale_since, ev.time_zone)}" if freshness == "stale"
                        else "Freshness not measured yet" if freshness == "unknown" else ""),
        timeline=timeline_of(lanes, summary.holes if summary else (), ev.time_zone) if ev.with_timeline else None,
        **streams_of(lanes, ev.time_zone, ev.with_timeline),
    )


def _left_out(batch, noun: tuple[str, str]) -> tuple[str, str, int]:
    """The newest batch's items that could not be read; points a phone's wrong clock dated (``pipeline.push``)
    are their own kind, with the newest such note: which time, and why it was left out."""
    n = batch.count_failed
    clock = next((w for w in reversed(batch.warnings or ()) if w.get("kind") == "wrong_clock"), None)
    if clock is not None:
        return ("wrong_clock", f"{count(n, noun)} the phone sent {pick(n, ('was', 'were'))} left out. "
                f"{clock.get('detail', '')}".strip(), batch.pk)
    return ("parser_warning", f"{count(n, ITEM)} in the last import could not be read.", batch.pk)


def advisories_of(ev: Evidence, coverage: Coverage) -> tuple[Advisory, ...]:
    """What invites the owner's attention, a failed import first; blocking where the connector declares it."""
    manifest, summary, noun = ev.manifest, ev.summary, ev.manifest.record_noun
    found: list[tuple[str, str, int | None]] = []
    failed = ev.failed_import
    if failed is not None:
        name = f" of {failed.filename}" if failed.filename else ""
        found.append(("failed_import", f"The import{name} on {day(failed.created_at, ev.time_zone)} did not finish.",
                      failed.batch_id))
    if judged_by_exports(ev) and coverage.freshness == "stale":
        found.append(("stale_owner_artifact", f"The newest {noun[0]} imported is from {day(coverage.covered_through, ev.time_zone)}.",
                      summary.latest_batch_id if summary else None))
    if pulled_when_asked(ev) and coverage.freshness == "stale" and (pulled := _last_pull(ev)):
        found.append(("stale_pull", f"Last collected on {day(pulled, ev.time_zone)}.", None))
    media = coverage.media
    if media.not_included:
        found.append(("missing_media", f"{part_of(media.not_included, media.declared, manifest.media_noun)} "
                      f"{pick(media.not_included, ('was', 'were'))} not included.",
                      summary.media_batch_id if summary else None))
    partial = next((lane.partial_batch_id for lane in ev.lanes if lane.partial_batch_id), None)
    if partial:
        found.append(("partial_artifact", "The last export looked cut short; some data may be missing.", partial))
    if coverage.gaps:
        hole, more = coverage.gaps[0], len(coverage.gaps) - 1
        found.append(("coverage_hole", f"No {noun[1]} from {day(hole.start)} to {day(hole.end)}"
                      f"{f' and {more} more' if more else ''}.", None))
    latest = ev.latest_batch
    if latest is not None:  # a warning of a kind the connector declares blocking ("cut_off"), once per kind
        blocking = {w.get("kind"): w.get("detail", "") for w in reversed(latest.warnings or ())
                    if w.get("kind") in manifest.blocking_gaps}
        found.extend((kind, detail or "The last export is incomplete.", latest.pk)
                     for kind, detail in blocking.items())
    other = next((w for w in (latest.warnings or ()) if w.get("kind") == "other_device"), None) if latest else None
    if other is not None:  # a push from another phone than the source's first (``pipeline.push``)
        found.append(("other_device", other.get("detail", ""), latest.pk))
    if latest is not None and latest.count_failed:
        found.append(_left_out(latest, noun))
    if ev.outdated_imports:
        n = ev.outdated_imports
        found.append(("outdated_reader", f"{count(n, IMPORT)} {pick(n, ('was', 'were'))} read by an older reader; "
                      "the improved reader may find more.", None))
    if ev.misordered_imports:
        n = ev.misordered_imports
        found.append(("misordered_dates", f"{count(n, IMPORT)} {pick(n, ('was', 'were'))} read in the day/month "
                      "order you answered, and a later export showed the phone writes the other: some of "
                      f"{pick(n, ('its', 'their'))} messages are on the wrong days.", None))
    required = set(manifest.blocking_gaps) | ({"missing_media"} if ev.connection.media_required else set())
    return tuple(
        Advisory(kind, "blocking" if kind in required else "advisory", detail, batch_id)
        for kind, detail, batch_id in found
    )
