"""Coverage summaries counted again from the records a connection holds.

``summaries`` moves the lane and coverage rows by what one landing added, which is all a
landing needs. A re-read (``reread``) also moves records in time, reclassifies them and takes
away the ones a newer reader no longer produces, so after it the rows are counted again from
what is held: a few grouped queries over the connection's visible records and provenance. The
fields mean what ``summaries`` makes them mean (days are UTC days, ``records`` counts what a
lane delivered first or again, ``accepted`` what it delivered first). The caller holds the
connection lock in a transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate

from connections.models import Connection

from ..models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from .summaries import earliest_of, gaps, latest_of, merge_counts

Status = AcquisitionBatch.Status
NOT_ATTACHED = ("missing", "omitted")


def _delivered(connection: Connection) -> tuple[dict, dict]:
    """Per lane: {day: records} and {"first": n, "earliest", "latest", "media_days": set} (first and later)."""
    per_day: dict[str, dict[str, int]] = {}
    facts: dict[str, dict] = {}
    visible = Record.objects.filter(connection=connection).visible()
    later = RecordProvenance.objects.filter(
        record__connection=connection, record__first_batch__status=Status.COMMITTED, batch__status=Status.COMMITTED
    )
    rows = [
        (True, row)
        for row in visible.annotate(day=TruncDate("event_at", tzinfo=UTC))
        .values("first_batch__method", "day", "media")
        .annotate(n=Count("id"), earliest=Min("event_at"), latest=Max("event_at"))
        .values_list("first_batch__method", "day", "media", "n", "earliest", "latest")
    ] + [
        (False, row)
        for row in later.annotate(day=TruncDate("record__event_at", tzinfo=UTC))
        .values("method", "day", "record__media")
        .annotate(n=Count("id"), earliest=Min("record__event_at"), latest=Max("record__event_at"))
        .values_list("method", "day", "record__media", "n", "earliest", "latest")
    ]
    for first, (method, day, media, n, earliest, latest) in rows:
        text = day.isoformat() if isinstance(day, date) else str(day)
        days = per_day.setdefault(method, {})
        days[text] = days.get(text, 0) + n
        lane = facts.setdefault(method, {"first": 0, "earliest": None, "latest": None, "media_days": set()})
        lane["first"] += n if first else 0
        lane["earliest"] = earliest_of(lane["earliest"], earliest)
        lane["latest"] = latest_of(lane["latest"], latest)
        if media in NOT_ATTACHED:
            lane["media_days"].add(text)
    return per_day, facts


def recount_summaries(connection: Connection, batch: AcquisitionBatch, now: datetime) -> None:
    """Count the connection's lane and coverage rows again from what it holds; ``batch`` is the newest."""
    per_day, facts = _delivered(connection)
    committed = AcquisitionBatch.objects.filter(connection=connection, status=Status.COMMITTED).exclude(
        options__has_key="superseded_by"
    )
    batches = dict(committed.values("method").annotate(n=Count("id")).values_list("method", "n"))
    methods = set(per_day) | set(batches) | {batch.method}
    for method in sorted(methods):
        lane, _ = LaneSummary.objects.select_for_update().get_or_create(connection=connection, method=method)
        lane_facts = facts.get(method, {"first": 0, "earliest": None, "latest": None, "media_days": set()})
        lane.batches = batches.get(method, 0)
        lane.day_counts = merge_counts({}, per_day.get(method, {}))
        lane.records = sum(lane.day_counts.values())
        lane.accepted = lane_facts["first"]
        lane.earliest_event_at, lane.covered_through = lane_facts["earliest"], lane_facts["latest"]
        lane.media_days = sorted(lane_facts["media_days"])
        if method == batch.method:
            lane.last_batch, lane.last_batch_at = batch, now
            lane.partial_batch = batch if batch.partial else None
        lane.save()
    _recount_summary(connection, batch, now)


def _recount_summary(connection: Connection, batch: AcquisitionBatch, now: datetime) -> None:
    summary, _ = CoverageSummary.objects.select_for_update().get_or_create(connection=connection)
    visible = Record.objects.filter(connection=connection).visible()
    span = visible.aggregate(n=Count("id"), earliest=Min("event_at"), latest=Max("event_at"))
    media = dict(visible.exclude(media="").values("media").annotate(n=Count("id")).values_list("media", "n"))
    summary.record_count = span["n"]
    summary.earliest_event_at, summary.covered_through = span["earliest"], span["latest"]
    summary.media_declared = sum(media.values())
    summary.media_attached = media.get("attached", 0)
    summary.media_missing = media.get("missing", 0)
    summary.media_omitted = media.get("omitted", 0)
    if not (summary.media_missing or summary.media_omitted):
        summary.media_batch = None
    elif summary.media_batch_id is None or batch.media_missing + batch.media_omitted:
        summary.media_batch = batch
    hole_after = connection.manifest.hole_after  # the summaries' rule: holes only where a density is declared
    days: set[int] = set()
    for counts in LaneSummary.objects.filter(connection=connection).values_list("day_counts", flat=True):
        days.update(date.fromisoformat(d[:10]).toordinal() for d, c in (counts or {}).items() if c)
    summary.holes = gaps(sorted(days), hole_after) if hole_after is not None else []
    summary.latest_batch = batch
    summary.updated_at = now
    summary.save()
