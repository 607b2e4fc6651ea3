"""Migration 0012's recount of a connection's lane and coverage counts, with historical models.

Not a migration (the loader skips modules whose name starts with "_"). It counts what
``coverage.pipeline.recount`` counts, as the pipeline keeps them: records per UTC slot (the
hour, or the quarter hour for an owner whose zone is not a whole number of hours from UTC;
``coverage.pipeline.slots``), media-missing slots, ``records`` (what a lane delivered first or
again) and ``accepted`` (what it delivered first), over visible records (first delivery
committed). What merging copies does not change is kept: batch counts, last batches, holes,
and the covered range (the pipeline takes it from the committed batches' event ranges, which
all stay).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count

HOUR, QUARTER = 60, 15


def slot_minutes(apps, connection_id: int) -> int:
    """The slot length for the connection's owner (as ``slots.minutes_for``)."""
    Connection = apps.get_model("connections", "Connection")
    Profile = apps.get_model("connections", "OwnerProfile")
    owner = Connection.objects.filter(pk=connection_id).values_list("owner_id", flat=True).first()
    name = Profile.objects.filter(owner_id=owner).values_list("time_zone", flat=True).first()
    try:
        tz = ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    year = datetime.now(UTC).year
    for month in (1, 4, 7, 10):
        offset = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(tz).utcoffset()
        if offset is not None and offset.total_seconds() % 3600:
            return QUARTER
    return HOUR


def slot_sql(vendor: str, column: str, minutes: int) -> str:
    """SQL for the slot key of the UTC instant in ``column`` (as ``slots.slot_sql``)."""
    if vendor == "postgresql":
        utc = f"({column} AT TIME ZONE 'UTC')"
        hour = f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24')"
        minute = f"EXTRACT(MINUTE FROM {utc})"
    else:
        hour = f"(substr({column}, 1, 10) || 'T' || substr({column}, 12, 2))"
        minute = f"CAST(substr({column}, 15, 2) AS INTEGER)"
    if minutes == HOUR:
        return hour
    quarter = (
        f"CASE WHEN {minute} < 15 THEN '00' WHEN {minute} < 30 THEN '15' "
        f"WHEN {minute} < 45 THEN '30' ELSE '45' END"
    )
    return f"({hour} || ':' || {quarter})"


def recount(apps, schema_editor, connection_id: int) -> None:
    """Count the connection's lane and coverage rows again from the records it holds."""
    tables = {
        name: schema_editor.quote_name(apps.get_model("coverage", model)._meta.db_table)
        for name, model in (("R", "Record"), ("P", "RecordProvenance"), ("B", "AcquisitionBatch"))
    }
    R, P, B = tables["R"], tables["P"], tables["B"]
    vendor = schema_editor.connection.vendor
    slot = slot_sql(vendor, "r.event_at", slot_minutes(apps, connection_id))
    not_attached = "r.media IN ('missing', 'omitted')"
    sql = (
        f"SELECT 1, b.method, {slot}, {not_attached}, COUNT(*) FROM {R} r "
        f"JOIN {B} b ON b.id = r.first_batch_id WHERE r.connection_id = %s "
        f"AND b.status = 'committed' GROUP BY b.method, {slot}, {not_attached} "
        f"UNION ALL SELECT 0, p.method, {slot}, {not_attached}, COUNT(*) FROM {P} p "
        f"JOIN {R} r ON r.id = p.record_id JOIN {B} b ON b.id = r.first_batch_id "
        f"JOIN {B} pb ON pb.id = p.batch_id WHERE r.connection_id = %s "
        f"AND b.status = 'committed' AND pb.status = 'committed' "
        f"GROUP BY p.method, {slot}, {not_attached}"
    )
    counts: dict[str, dict[str, int]] = {}
    first: dict[str, int] = {}
    media_slots: dict[str, set[str]] = {}
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, [connection_id, connection_id])
        for is_first, method, key, missing, n in cursor.fetchall():
            per_slot = counts.setdefault(method, {})
            per_slot[key] = per_slot.get(key, 0) + int(n)
            first[method] = first.get(method, 0) + (int(n) if is_first else 0)
            if missing:
                media_slots.setdefault(method, set()).add(key)
    for lane in apps.get_model("coverage", "LaneSummary").objects.filter(
        connection_id=connection_id
    ):
        lane.day_counts = dict(sorted(counts.get(lane.method, {}).items()))
        lane.records = sum(lane.day_counts.values())
        lane.accepted = first.get(lane.method, 0)
        lane.media_days = sorted(media_slots.get(lane.method, ()))
        lane.save(update_fields=["day_counts", "records", "accepted", "media_days"])
    Summary = apps.get_model("coverage", "CoverageSummary")
    summary = Summary.objects.filter(connection_id=connection_id).first()
    if summary is None:
        return
    visible = apps.get_model("coverage", "Record").objects.filter(
        connection_id=connection_id, first_batch__status="committed"
    )
    media = dict(
        visible.exclude(media="").values("media").annotate(n=Count("id")).values_list("media", "n")
    )
    summary.record_count = visible.count()
    summary.media_declared = sum(media.values())
    summary.media_attached = media.get("attached", 0)
    summary.media_missing = media.get("missing", 0)
    summary.media_omitted = media.get("omitted", 0)
    if not (summary.media_missing or summary.media_omitted):
        summary.media_batch = None
    summary.save()
