"""Lane summaries still keyed by UTC day are counted again per slot from the records (issue 11).

Summaries written before slots (``coverage.pipeline.slots``) hold records and media-missing marks
per UTC day (``"2023-11-20"``), which the loader can only place in the owner's days
approximately. This recounts each such connection's lanes as a fresh import keeps them: records
per UTC hour (or quarter hour, for an owner whose zone needs it), per stream too for a source of
several streams, and media-missing slots, over visible records (first delivery committed; a
later delivery counts for its lane when its batch is committed). The connection's holes are cut
again by the one rule (``pipeline.summaries.holes``) in the owner's days.

Bounded memory: lanes are read a chunk at a time and each connection is counted by one grouped
query and saved in its own transaction (the migration is not atomic as a whole; run again, it
finds nothing left to do). Backwards is a no-op: slot keys are what the code reads, and UTC days
cannot be told apart from records any better than slots.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import migrations, transaction

from connections.connectors import get as get_manifest
from coverage.migrations._0012_recount import slot_minutes, slot_sql
from coverage.pipeline.summaries import holes

CHUNK = 500


def _is_day(key) -> bool:
    return len(str(key).partition("~")[0]) == 10


def _legacy_connections(apps) -> list[int]:
    Lane = apps.get_model("coverage", "LaneSummary")
    found: set[int] = set()
    rows = Lane.objects.order_by("pk").values_list("connection_id", "day_counts", "media_days")
    for connection_id, counts, media in rows.iterator(chunk_size=CHUNK):
        if any(_is_day(k) for k in counts or ()) or any(_is_day(k) for k in media or ()):
            found.add(connection_id)
    return sorted(found)


def _zone(apps, connection_id: int):
    Connection = apps.get_model("connections", "Connection")
    Profile = apps.get_model("connections", "OwnerProfile")
    owner = Connection.objects.filter(pk=connection_id).values_list("owner_id", flat=True).first()
    name = Profile.objects.filter(owner_id=owner).values_list("time_zone", flat=True).first()
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _recount(apps, schema_editor, connection_id: int) -> None:
    q = schema_editor.quote_name
    R, P, B = (q(apps.get_model("coverage", m)._meta.db_table) for m in ("Record", "RecordProvenance", "AcquisitionBatch"))
    slot = slot_sql(schema_editor.connection.vendor, "r.event_at", slot_minutes(apps, connection_id))
    not_attached = "r.media IN ('missing', 'omitted')"
    sql = (
        f"SELECT b.method, {slot}, r.stream, {not_attached}, COUNT(*) FROM {R} r "
        f"JOIN {B} b ON b.id = r.first_batch_id WHERE r.connection_id = %s AND b.status = 'committed' "
        f"GROUP BY b.method, {slot}, r.stream, {not_attached} "
        f"UNION ALL SELECT p.method, {slot}, r.stream, {not_attached}, COUNT(*) FROM {P} p "
        f"JOIN {R} r ON r.id = p.record_id JOIN {B} b ON b.id = r.first_batch_id "
        f"JOIN {B} pb ON pb.id = p.batch_id WHERE r.connection_id = %s AND b.status = 'committed' "
        f"AND pb.status = 'committed' GROUP BY p.method, {slot}, r.stream, {not_attached}"
    )
    connector = apps.get_model("connections", "Connection").objects.get(pk=connection_id).connector
    manifest = get_manifest(connector)
    several = len(manifest.streams) > 1  # each stream's slots too, as a landing keeps them
    counts: dict[str, dict[str, int]] = {}
    media: dict[str, set[str]] = {}
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, [connection_id, connection_id])
        for method, key, stream, missing, n in cursor.fetchall():
            lane = counts.setdefault(method, {})
            lane[key] = lane.get(key, 0) + int(n)
            if several:
                lane[f"{key}~{stream}"] = lane.get(f"{key}~{stream}", 0) + int(n)
            if missing:
                media.setdefault(method, set()).add(key)
    keys: set[str] = set()
    for lane in apps.get_model("coverage", "LaneSummary").objects.filter(connection_id=connection_id):
        lane.day_counts = dict(sorted(counts.get(lane.method, {}).items()))
        lane.media_days = sorted(media.get(lane.method, ()))
        lane.save(update_fields=["day_counts", "media_days"])
        keys.update(k for k, n in lane.day_counts.items() if n)
    Summary = apps.get_model("coverage", "CoverageSummary")
    summary = Summary.objects.filter(connection_id=connection_id).first()
    if summary is not None:
        summary.holes = holes(keys, manifest, _zone(apps, connection_id)) if keys else []
        summary.save(update_fields=["holes"])


def forwards(apps, schema_editor):
    for connection_id in _legacy_connections(apps):
        with transaction.atomic(using=schema_editor.connection.alias):
            _recount(apps, schema_editor, connection_id)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("coverage", "0015_batch_trigger_watched_folder"), ("connections", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
