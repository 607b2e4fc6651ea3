"""Coverage summaries counted again from the records a connection holds.

``summaries`` moves the lane and coverage rows by what one landing added, which is all a
landing needs. A re-read (``reread``) also moves records in time, reclassifies them and takes
away the ones a newer reader no longer produces, so after it the rows are counted again from
what is held: a few grouped queries over the connection's visible records and provenance. The
fields mean what ``summaries`` makes them mean (counts and media-missing marks per UTC slot,
``slots``; ``records`` counts what a lane delivered first or again, ``accepted`` what it
delivered first). The caller holds the
connection lock in a transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection as db
from django.db.models import Count, Max, Min

from connections.models import Connection

from ..models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from . import slots
from .staging import quote
from .summaries import earliest_of, holes, latest_of, merge_counts, stream_slot

Status = AcquisitionBatch.Status


def _delivered(connection: Connection) -> tuple[dict, dict]:
    """Per lane: {slot: records} and {"first": n, "earliest", "latest", "media_days": set of slots}.

    A lane delivered a record first (``first_batch``) or again (a provenance row); only records
    whose first delivery is committed count (DESIGN: a commit is atomic). Slots as ``slots`` cuts them.
    """
    n = {"R": quote(Record._meta.db_table), "P": quote(RecordProvenance._meta.db_table),
         "B": quote(AcquisitionBatch._meta.db_table)}
    minutes = slots.minutes_for_connection(connection.pk)
    # Grouped by a cheap cut of the instant, one a slot (``slots.cut_sql``).
    cut, slot = slots.cut_sql("r.event_at", minutes), slots.slot_of_cut_sql("g.cut", minutes)
    committed = [connection.pk, Status.COMMITTED]
    per_slot: dict[str, dict[str, int]] = {}
    facts: dict[str, dict] = {}
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT g.method, {slot}, g.stream, g.not_attached, g.n FROM ("
            f"SELECT b.method AS method, {cut} AS cut, r.stream AS stream, r.media IN ('missing', 'omitted') AS not_attached, "
            f"COUNT(*) AS n FROM {n['R']} r "
            f"JOIN {n['B']} b ON b.id = r.first_batch_id WHERE r.connection_id = %s AND b.status = %s "
            f"GROUP BY b.method, {cut}, r.stream, r.media IN ('missing', 'omitted') "
            f"UNION ALL SELECT p.method, {cut}, r.stream, r.media IN ('missing', 'omitted'), COUNT(*) FROM {n['P']} p "
            f"JOIN {n['R']} r ON r.id = p.record_id JOIN {n['B']} b ON b.id = r.first_batch_id "
            f"JOIN {n['B']} pb ON pb.id = p.batch_id WHERE r.connection_id = %s AND b.status = %s "
            f"AND pb.status = '{Status.COMMITTED}' GROUP BY p.method, {cut}, r.stream, r.media IN ('missing', 'omitted')"
            ") g",
            committed + committed,
        )
        several = len(connection.manifest.streams) > 1  # each stream's slots too, as a landing keeps them
        for method, key, stream, not_attached, count in cursor.fetchall():
            counts = per_slot.setdefault(method, {})
            counts[key] = counts.get(key, 0) + int(count)
            if several:
                counts[stream_slot(key, stream)] = counts.get(stream_slot(key, stream), 0) + int(count)
            if not_attached:
                facts.setdefault(method, _lane())["media_days"].add(key)
    visible = Record.objects.filter(connection=connection).visible()
    later = RecordProvenance.objects.filter(
        record__connection=connection, record__first_batch__status=Status.COMMITTED, batch__status=Status.COMMITTED
    )
    spans = [
        (True, row)
        for row in visible.values("first_batch__method")
        .annotate(n=Count("id"), earliest=Min("event_at"), latest=Max("event_at"))
        .values_list("first_batch__method", "n", "earliest", "latest")
    ] + [
        (False, row)
        for row in later.values("method")
        .annotate(n=Count("id"), earliest=Min("record__event_at"), latest=Max("record__event_at"))
        .values_list("method", "n", "earliest", "latest")
    ]
    for first, (method, count, earliest, latest) in spans:
        lane = facts.setdefault(method, _lane())
        lane["first"] += count if first else 0
        lane["earliest"] = earliest_of(lane["earliest"], earliest)
        lane["latest"] = latest_of(lane["latest"], latest)
    return per_slot, facts


def _lane() -> dict:
    return {"first": 0, "earliest": None, "latest": None, "media_days": set()}


def recount_summaries(connection: Connection, batch: AcquisitionBatch, now: datetime) -> None:
    """Count the connection's lane and coverage rows again from what it holds; ``batch`` is the newest."""
    per_day, facts = _delivered(connection)  # per UTC slot
    committed = AcquisitionBatch.objects.filter(connection=connection, status=Status.COMMITTED).exclude(
        options__has_key="superseded_by"
    )
    batches = dict(committed.values("method").annotate(n=Count("id")).values_list("method", "n"))
    methods = set(per_day) | set(batches) | {batch.method}
    for method in sorted(methods):
        lane, _ = LaneSummary.objects.select_for_update().get_or_create(connection=connection, method=method)
        lane_facts = facts.get(method, _lane())
        lane.batches = batches.get(method, 0)
        lane.day_counts = merge_counts({}, per_day.get(method, {}))
        lane.records = sum(n for key, n in lane.day_counts.items() if "~" not in key)  # not the per-stream keys
        lane.accepted = lane_facts["first"]
        lane.earliest_event_at, lane.covered_through = lane_facts["earliest"], lane_facts["latest"]
        lane.media_days = sorted(lane_facts["media_days"])
        if method == batch.method:
            lane.last_batch, lane.last_batch_at = batch, now
            lane.partial_batch = batch if batch.partial else None
        lane.save()
    _recount_summary(connection, batch, now)


def recount_days(connection: Connection) -> None:
    """Count only where the connection's records stand again: each lane's slots (``day_counts``, ``media_days``)
    and the holes, as ``slots`` cuts them for the owner's zone now; every other fact stays. The caller holds the
    connection lock in a transaction."""
    per_day, facts = _delivered(connection)
    for lane in LaneSummary.objects.select_for_update().filter(connection=connection):
        lane.day_counts = merge_counts({}, per_day.get(lane.method, {}))
        lane.media_days = sorted(facts.get(lane.method, _lane())["media_days"])
        lane.save(update_fields=["day_counts", "media_days"])
    summary = CoverageSummary.objects.select_for_update().filter(connection=connection).first()
    if summary is not None:
        summary.holes = _holes(connection)
        summary.save(update_fields=["holes"])


def _holes(connection: Connection) -> list:
    keys: set[str] = set()
    for counts in LaneSummary.objects.filter(connection=connection).values_list("day_counts", flat=True):
        keys.update(k for k, c in (counts or {}).items() if c)
    # The one rule for gaps, in the owner's days.
    return holes(keys, connection.manifest, slots.zone_for_connection(connection.pk)) if keys else []


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
    summary.holes = _holes(connection)
    summary.latest_batch = batch
    summary.updated_at = now
    summary.save()
