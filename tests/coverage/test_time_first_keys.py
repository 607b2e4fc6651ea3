"""Migration 0007: stored WhatsApp and Apple Health keys gain the time prefix the parsers now give."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection as db

from connections.connectors import apple_health, whatsapp
from connections.connectors.base import Artifact, BatchFacts, ParsedRecord, ParseOptions

from .conftest import fixture_path, migrate_to, staged_rows

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("coverage", "0006_first_delivery_is_the_record")
AFTER = ("coverage", "0007_time_first_keys")


def parsed(module, path: Path, zone: str) -> list[ParsedRecord]:
    options = ParseOptions(time_zone=ZoneInfo(zone))
    return list(module.parse(Artifact(path, path.name), BatchFacts(), options))


def time_first_keys(records: list[ParsedRecord], zone: str) -> list[ParsedRecord]:
    """The chat as 0007 keyed it (before 0012): local time with seconds, then a digest of the
    UTC time, author, text and the count of identical messages at that time."""
    tz, seen, out = ZoneInfo(zone), {}, []
    for r in records:
        iso = r.event_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        ident = (iso, r.payload["author"], r.payload["text"])
        n = seen[ident] = seen.get(ident, -1) + 1
        digest = hashlib.blake2b(
            f"{iso}\x1f{ident[1]}\x1f{ident[2]}\x1f{n}".encode(), digest_size=16
        )
        stamp = r.event_at.astimezone(tz).strftime("%Y%m%dT%H%M%S-")
        out.append(dataclasses.replace(r, key=stamp + digest.hexdigest()))
    return out


def old_key(record: ParsedRecord) -> str:
    """The key the parser gave before time came first: the digest alone (day summaries and route
    points, keyed by their day or like every location, kept theirs)."""
    return record.key if record.key.startswith("activity:") or record.stream == "workout_routes" else record.key[16:]


def stage(batch_id: int, key: str) -> None:
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO coverage_stagedrecord (batch_id, stream, key, event_at, event_day, payload, media) "
            "VALUES (%s, 'messages', %s, %s, 1, '{}', '')",
            [batch_id, key, "2024-01-01 00:00:00"],
        )


PLACES_KEY = "1683533580:52.52111:13.40665"


def test_stored_keys_become_what_a_new_import_of_the_same_files_gives(owner, back_to_latest):
    berlin, new_york, health = reads()

    apps = migrate_to(BEFORE)
    Batch = apps.get_model("coverage", "AcquisitionBatch")
    apps.get_model("connections", "OwnerProfile").objects.create(
        owner_id=owner.pk, time_zone="America/New_York"
    )
    chat, trip, phone = (
        connection(apps, owner, "whatsapp", "chat"),
        connection(apps, owner, "whatsapp", "trip"),
        connection(apps, owner, "apple_health", "phone"),
    )
    store(apps, chat, berlin, time_zone_assumed="Europe/Berlin")
    store(apps, trip, new_york)
    store(apps, phone, health)
    places = connection(apps, owner, "google_timeline", "places")
    apps.get_model("coverage", "Record").objects.create(
        connection=places,
        stream="locations",
        key=PLACES_KEY,
        event_at="2023-05-08T08:13:00Z",
        first_batch=Batch.objects.create(connection=places, method="owner_artifact"),
    )
    chat_preview = Batch.objects.create(connection=chat, method="owner_artifact", status="preview")
    places_preview = Batch.objects.create(
        connection=places, method="owner_artifact", status="preview"
    )
    stage(chat_preview.pk, old_key(berlin[0]))
    stage(places_preview.pk, PLACES_KEY)

    Record = migrate_to(AFTER).get_model("coverage", "Record")
    assert keys(Record, chat) == sorted(r.key for r in berlin)
    assert keys(Record, trip) == sorted(r.key for r in new_york)
    assert keys(Record, phone) == sorted(r.key for r in health)  # activity:... keys kept as they were
    assert keys(Record, places) == [PLACES_KEY]
    # A chat preview re-reads its stored file at commit, with the new keys; others keep theirs.
    assert (staged_rows(chat_preview.pk), staged_rows(places_preview.pk)) == (0, 1)

    Record = migrate_to(BEFORE).get_model("coverage", "Record")
    assert keys(Record, chat) == sorted(old_key(r) for r in berlin)
    assert keys(Record, phone) == sorted(old_key(r) for r in health)
    assert keys(Record, places) == [PLACES_KEY]


def reads() -> tuple:
    """The chat read in Europe/Berlin, a newer export read in the owner's own zone, and a
    Health export, each keyed as before this migration."""
    berlin = time_first_keys(
        parsed(whatsapp, fixture_path("whatsapp", "android_dayfirst_24h.txt"), "Europe/Berlin"),
        "Europe/Berlin",
    )
    # The owner's own zone, read for a batch that recorded none (US clocks moved on 2023-03-12).
    new_york = time_first_keys(
        parsed(whatsapp, fixture_path("whatsapp", "android_newer.txt"), "America/New_York"),
        "America/New_York",
    )
    health = parsed(apple_health, fixture_path("apple_health", "export.zip"), "UTC")
    return berlin, new_york, health


def connection(apps, owner, connector: str, slug: str):
    return apps.get_model("connections", "Connection").objects.create(
        owner_id=owner.pk, connector=connector, slug=slug, name=slug
    )


def store(apps, conn, records: list[ParsedRecord], **batch) -> None:
    """``records`` with their old keys, landed by one committed batch of ``conn``."""
    Record = apps.get_model("coverage", "Record")
    first_batch = apps.get_model("coverage", "AcquisitionBatch").objects.create(
        connection=conn, method="owner_artifact", status="committed", **batch
    )
    Record.objects.bulk_create(
        Record(
            connection=conn,
            stream=r.stream,
            key=old_key(r),
            event_at=r.event_at,
            payload={},
            first_batch=first_batch,
        )
        for r in records
    )


def keys(Record, conn) -> list[str]:
    return sorted(Record.objects.filter(connection_id=conn.pk).values_list("key", flat=True))
