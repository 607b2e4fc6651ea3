"""Keys of WhatsApp messages and Apple Health samples and workouts start with their time.

Both connectors keyed records by a 32-hex blake2b digest, so each imported record's entry in
the staging and ``Record`` key indexes landed on a random B-tree page. Their keys are now
``YYYYMMDDTHHMMSS-<the same digest>``:

- ``apple_health`` ``samples`` and ``workouts``: the start time in UTC, which is the record's
  ``event_at``. Activity summaries (``activity:YYYY-MM-DD``) are unchanged.
- ``whatsapp`` ``messages``: the local time as the chat file writes it. It is not stored, so it
  is recovered from ``event_at`` in the zone the message was read in: its first batch's
  ``time_zone_assumed``, else the owner's profile zone, else ``settings.TIME_ZONE``.

Staged rows of these connectors' batches are deleted, not rewritten: a batch still in
``preview`` or ``committing`` finds its staged rows gone when it is committed and reads its
stored file again (``coverage.acquisition._restage_if_lost``), with the new keys. Going back
strips the prefix and deletes those staged rows in the same way.
"""

from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import migrations

STREAMS = {"apple_health": ("samples", "workouts"), "whatsapp": ("messages",)}
CHUNK = 2000
PREFIX = len("YYYYMMDDTHHMMSS-")


def _compact(at) -> str:
    return f"{at.year:04d}{at.month:02d}{at.day:02d}T{at.hour:02d}{at.minute:02d}{at.second:02d}-"


def _is_old(key: str) -> bool:
    return len(key) == 32 and "-" not in key


def _is_new(key: str) -> bool:
    return len(key) == PREFIX + 32 and key[PREFIX - 1] == "-" and key[8] == "T"


def _zone(name: str, cache: dict) -> ZoneInfo:
    zone = cache.get(name)
    if zone is None:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(settings.TIME_ZONE)
        cache[name] = zone
    return zone


def _drop_staged(apps, schema_editor) -> None:
    """Delete staged rows of these connectors' batches (they are read again at commit)."""
    batches = apps.get_model("coverage", "AcquisitionBatch")._meta.db_table
    connections = apps.get_model("connections", "Connection")._meta.db_table
    q = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {q('coverage_stagedrecord')} WHERE batch_id IN ("
            f"SELECT b.id FROM {q(batches)} b JOIN {q(connections)} c ON c.id = b.connection_id "
            "WHERE c.connector IN (%s, %s))",
            list(STREAMS),
        )


def _rewrite(apps, schema_editor, connector: str, new_key) -> None:
    """Set each record's key to ``new_key(key, event_at, connection_id, first_batch_id)``
    (None: leave it), in chunks."""
    Record = apps.get_model("coverage", "Record")
    rows = (
        Record.objects.filter(connection__connector=connector, stream__in=STREAMS[connector])
        .order_by("pk")  # SQLite walks rowids, which a key update never moves
        .values_list("pk", "key", "event_at", "connection_id", "first_batch_id")
    )
    changed = []
    for pk, *row in rows.iterator(chunk_size=CHUNK):
        key = new_key(*row)
        if key is not None:
            changed.append((pk, key))
            if len(changed) >= CHUNK:
                _update_keys(schema_editor, Record, changed)
                changed = []
    if changed:
        _update_keys(schema_editor, Record, changed)


def _update_keys(schema_editor, Record, changed: list[tuple[int, str]]) -> None:
    """Write (pk, key) pairs.

    Not ``bulk_update``: its ``CASE WHEN pk = ... THEN ...`` costs each row a scan of the
    batch's cases, about 0.3 ms a row on PostgreSQL (ten minutes for two million messages).
    """
    q = schema_editor.quote_name
    table, pk, key = q(Record._meta.db_table), q(Record._meta.pk.column), q("key")
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {key} = v.new_key "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, new_key) "
                f"WHERE {table}.{pk} = v.id",
                [[p for p, _ in changed], [k for _, k in changed]],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {key} = %s WHERE {pk} = %s", [(k, p) for p, k in changed]
            )


def time_first(apps, schema_editor) -> None:
    _drop_staged(apps, schema_editor)

    def health_key(key, event_at, connection_id, first_batch_id):
        if not _is_old(key):
            return None  # an activity summary, or already rewritten
        return _compact(event_at.astimezone(UTC)) + key

    _rewrite(apps, schema_editor, "apple_health", health_key)

    Batch = apps.get_model("coverage", "AcquisitionBatch")
    Connection = apps.get_model("connections", "Connection")
    OwnerProfile = apps.get_model("connections", "OwnerProfile")
    chats = Connection.objects.filter(connector="whatsapp")
    batch_zones = dict(
        Batch.objects.filter(connection__in=chats)
        .exclude(time_zone_assumed="")
        .values_list("pk", "time_zone_assumed")
    )
    profile_zones = dict(
        OwnerProfile.objects.exclude(time_zone="").values_list("owner_id", "time_zone")
    )
    owner_zones = {
        pk: profile_zones.get(owner_id) or settings.TIME_ZONE
        for pk, owner_id in chats.values_list("pk", "owner_id")
    }
    zones: dict[str, ZoneInfo] = {}

    def chat_key(key, event_at, connection_id, first_batch_id):
        if not _is_old(key):
            return None
        name = batch_zones.get(first_batch_id) or owner_zones[connection_id]
        return _compact(event_at.astimezone(_zone(name, zones))) + key

    _rewrite(apps, schema_editor, "whatsapp", chat_key)


def digest_only(apps, schema_editor) -> None:
    _drop_staged(apps, schema_editor)
    for connector in STREAMS:
        _rewrite(
            apps, schema_editor, connector, lambda key, *_: key[PREFIX:] if _is_new(key) else None
        )


class Migration(migrations.Migration):
    dependencies = [("coverage", "0006_first_delivery_is_the_record")]

    operations = [migrations.RunPython(time_first, digest_only, elidable=False)]
