"""Migration 0012: stored WhatsApp messages take the keys that never move, and the copies an
earlier zone change, a phone in another language or an export with media made are merged."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection as db

from connections.connectors import whatsapp
from connections.connectors.base import Artifact, BatchFacts, ParsedRecord, ParseOptions
from connections.models import Connection, OwnerProfile
from coverage.models import CoverageSummary, LaneSummary, Record, RecordProvenance
from coverage.pipeline import preview_artifact, start_commit

from .conftest import fixture_path, migrate_to, staged_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

BEFORE = ("coverage", "0011_batch_landing_tally")
AFTER = ("coverage", "0012_whatsapp_keys")


def parsed(path: Path, zone: str) -> list[ParsedRecord]:
    options = ParseOptions(time_zone=ZoneInfo(zone))
    return list(whatsapp.parse(Artifact(path, path.name), BatchFacts(), options))


def old_keyed(records: list[ParsedRecord]) -> list[ParsedRecord]:
    """The records as the reader keyed them before 0012: the local time with seconds, then a
    digest of the UTC instant, author, text and n (identical messages at that instant)."""
    seen, out = {}, []
    for r in records:
        iso = r.event_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        ident = (iso, r.payload["author"], r.payload["text"])
        n = seen[ident] = seen.get(ident, -1) + 1
        text = f"{iso}\x1f{ident[1]}\x1f{ident[2]}\x1f{n}"
        digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        stamp = f"{r.key[:13]}{r.event_at.second:02d}-"  # the time as written, with seconds
        out.append(dataclasses.replace(r, key=stamp + digest))
    return out


def german(tmp_path: Path) -> Path:
    path = tmp_path / "WhatsApp-Chat mit Ana Souza.txt"
    path.write_text(
        fixture_path("whatsapp", "android_dayfirst_24h.txt")
        .read_text(encoding="utf-8")
        .replace("<Media omitted>", "<Medien ausgeschlossen>")
        .replace("This message was deleted", "Diese Nachricht wurde gelöscht"),
        encoding="utf-8",
    )
    return path


def with_media(tmp_path: Path) -> Path:
    """The English chat exported again with its two photos attached."""
    lines, photo = [], 0
    for line in fixture_path("whatsapp", "android_dayfirst_24h.txt").read_text().splitlines():
        if line.endswith("<Media omitted>"):
            photo += 1
            line = line.replace("<Media omitted>", f"IMG-20230312-WA000{photo}.jpg (file attached)")
        lines.append(line)
    path = tmp_path / "WhatsApp Chat with Ana Souza.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("WhatsApp Chat with Ana Souza.txt", "\n".join(lines) + "\n")
        for i in range(1, photo + 1):
            zf.writestr(f"IMG-20230312-WA000{i}.jpg", b"jpg")
    return path


def keys_of(connection_id: int) -> set[str]:
    return set(Record.objects.filter(connection_id=connection_id).values_list("key", flat=True))


def summaries(connection_id: int, method: str = "owner_artifact") -> tuple:
    """The coverage row and one lane, but for its media-missing slots (see ``media_slots``)."""
    s = CoverageSummary.objects.get(connection_id=connection_id)
    lanes = [
        (
            lane.method,
            lane.batches,
            lane.records,
            lane.accepted,
            lane.earliest_event_at,
            lane.covered_through,
            lane.day_counts,
        )
        for lane in LaneSummary.objects.filter(connection_id=connection_id, method=method)
    ]
    media = (s.media_declared, s.media_attached, s.media_missing, s.media_omitted)
    return s.record_count, s.earliest_event_at, s.covered_through, media, lanes


def media_slots(connection_id: int) -> tuple[list, list]:
    """(the lane's media-missing slots, the UTC hours of held records lacking their media).

    A fresh import marks the slots of every row it read, repeats included (the Berlin reading
    of a photo already held marks an hour that holds no record); the recount marks only
    where a held record lacks its media, so this compares with the records instead.
    """
    lane = LaneSummary.objects.get(connection_id=connection_id, method="owner_artifact")
    lacking = Record.objects.filter(connection_id=connection_id, media__in=["missing", "omitted"])
    hours = sorted({f"{at:%Y-%m-%dT%H}" for at in lacking.values_list("event_at", flat=True)})
    return lane.media_days, hours


@dataclasses.dataclass
class Copies:
    """The chat as the reader keyed it before 0012, in each copy a stored chat came to hold."""

    utc_chat: list[ParsedRecord]  # read in UTC
    berlin_newer: list[ParsedRecord]  # a newer export, read in Europe/Berlin
    newer_only: list[ParsedRecord]  # the five messages the newer export added
    german_chat: list[ParsedRecord]  # from a phone set to German
    attached_chat: list[ParsedRecord]  # exported again with its photos


def old_copies(tmp_path: Path) -> Copies:
    utc_read = parsed(fixture_path("whatsapp", "android_dayfirst_24h.txt"), "UTC")
    berlin_read = parsed(fixture_path("whatsapp", "android_newer.txt"), "Europe/Berlin")
    utc_chat, berlin_newer = old_keyed(utc_read), old_keyed(berlin_read)
    # The five messages the newer export added (by today's keys, which do not move).
    newer_only = [
        old
        for old, new in zip(berlin_newer, berlin_read, strict=True)
        if new.key not in {r.key for r in utc_read}
    ]
    assert len(newer_only) == 5
    german_chat = old_keyed(parsed(german(tmp_path), "UTC"))
    attached_chat = old_keyed(parsed(with_media(tmp_path), "UTC"))
    # Old keys moved with the zone and the words: that is how the copies came to be stored.
    assert not {r.key for r in utc_chat} & {r.key for r in berlin_newer}
    assert len({r.key for r in utc_chat} - {r.key for r in german_chat}) == 3
    return Copies(utc_chat, berlin_newer, newer_only, german_chat, attached_chat)


class OldStore:
    """Rows written through the models as they were before 0012 (``apps`` of that state)."""

    def __init__(self, apps, owner):
        self.owner = owner
        self.Connection = apps.get_model("connections", "Connection")
        self.Batch = apps.get_model("coverage", "AcquisitionBatch")
        self.Record = apps.get_model("coverage", "Record")
        self.Provenance = apps.get_model("coverage", "RecordProvenance")
        self.Lane = apps.get_model("coverage", "LaneSummary")
        self.Summary = apps.get_model("coverage", "CoverageSummary")

    def connection(self, slug: str):
        return self.Connection.objects.create(
            owner_id=self.owner.pk, connector="whatsapp", slug=slug, name=slug
        )

    def batch(self, conn, zone: str, method: str = "owner_artifact"):
        return self.Batch.objects.create(
            connection=conn, method=method, status="committed", time_zone_assumed=zone
        )

    def store(self, conn, b, records: list[ParsedRecord], held: set[str] = frozenset()) -> dict:
        made = {}
        for r in records:
            if r.key in held:
                continue  # the pipeline recognised it
            made[r.key] = self.Record.objects.create(
                connection=conn,
                stream=r.stream,
                key=r.key,
                event_at=r.event_at,
                payload=r.payload,
                media=r.media or "",
                first_batch=b,
            )
        return made

    def stale_summaries(self, conn, batches: int) -> None:
        """What the copies made of the summaries: every copy counted, the batches' range."""
        held = self.Record.objects.filter(connection=conn)
        count = held.count()
        first, last = held.order_by("event_at").first(), held.order_by("event_at").last()
        span = {"earliest_event_at": first.event_at, "covered_through": last.event_at}
        self.Lane.objects.create(
            connection=conn,
            method="owner_artifact",
            batches=batches,
            records=count,
            accepted=count,
            **span,
        )
        self.Summary.objects.create(connection=conn, record_count=count, **span)


def test_copies_from_a_zone_change_a_language_and_media_merge_into_one_set_of_records(
    owner, tmp_path, back_to_latest
):
    copies = old_copies(tmp_path)
    old = OldStore(migrate_to(BEFORE), owner)
    zoned, first, backup, berlin_first_message = store_a_zone_change(old, copies)
    spoken, preview = store_a_language_and_media_copies(old, copies)

    migrate_to(AFTER)
    call_command("migrate", verbosity=0)  # to the latest state, to import with today's code
    fresh_zoned, fresh_spoken = fresh_imports(owner, tmp_path)

    assert Record.objects.filter(connection_id=zoned.pk).count() == 25
    assert keys_of(zoned.pk) == keys_of(fresh_zoned.pk)
    assert summaries(zoned.pk) == summaries(fresh_zoned.pk)
    slots, hours = media_slots(zoned.pk)
    assert slots == hours == ["2023-03-12T09", "2023-03-14T07", "2023-03-30T07"]
    assert_the_first_delivery_is_kept(copies, zoned, first, backup, berlin_first_message)

    assert Record.objects.filter(connection_id=spoken.pk).count() == 20
    assert keys_of(spoken.pk) == keys_of(fresh_spoken.pk)
    assert summaries(spoken.pk) == summaries(fresh_spoken.pk)
    assert media_slots(spoken.pk) == media_slots(fresh_spoken.pk) == ([], [])  # photos filled
    photos = Record.objects.filter(connection_id=spoken.pk, payload__kind="media")
    assert sorted(photos.values_list("media", "payload__media_name")) == [
        ("attached", "IMG-20230312-WA0001.jpg"),
        ("attached", "IMG-20230312-WA0002.jpg"),
    ]
    assert staged_rows(preview.pk) == 0  # read again, with the new keys, at commit

    apps = migrate_to(BEFORE)
    zoned_after = set(
        apps.get_model("coverage", "Record")
        .objects.filter(connection_id=zoned.pk)
        .values_list("key", flat=True)
    )
    assert zoned_after == {r.key for r in copies.utc_chat} | {r.key for r in copies.newer_only}
    spoken_after = set(
        apps.get_model("coverage", "Record")
        .objects.filter(connection_id=spoken.pk)
        .values_list("key", flat=True)
    )
    assert spoken_after == {r.key for r in copies.utc_chat}


def store_a_zone_change(old: OldStore, copies: Copies) -> tuple:
    """1. A zone change: the chat read in UTC, then a newer export read in Europe/Berlin. A
    backup later delivered one message of the Berlin copy (a provenance row).

    Returns (the connection, its first copy's records by key, the backup batch, the Berlin
    copy's first message)."""
    zoned = old.connection("zoned")
    first = old.store(zoned, old.batch(zoned, "UTC"), copies.utc_chat)
    second = old.store(zoned, old.batch(zoned, "Europe/Berlin"), copies.berlin_newer)
    backup = old.batch(zoned, "Europe/Berlin", method="device_backup")
    berlin_first_message = second[copies.berlin_newer[0].key]
    old.Provenance.objects.create(record=berlin_first_message, batch=backup, method="device_backup")
    old.stale_summaries(zoned, batches=2)
    old.Lane.objects.create(
        connection=zoned,
        method="device_backup",
        batches=1,
        records=1,
        earliest_event_at=berlin_first_message.event_at,
        covered_through=berlin_first_message.event_at,
    )
    assert old.Record.objects.filter(connection=zoned).count() == 45
    return zoned, first, backup, berlin_first_message


def store_a_language_and_media_copies(old: OldStore, copies: Copies) -> tuple:
    """2. The same chat from a phone set to German, then exported with its photos; and a
    preview staged with an old key. Returns (the connection, the preview batch)."""
    spoken = old.connection("spoken")
    held = {r.key for r in copies.utc_chat}
    old.store(spoken, old.batch(spoken, "UTC"), copies.utc_chat)
    old.store(spoken, old.batch(spoken, "UTC"), copies.german_chat, held=held)
    old.store(spoken, old.batch(spoken, "UTC"), copies.attached_chat, held=held)
    old.stale_summaries(spoken, batches=3)
    assert old.Record.objects.filter(connection=spoken).count() == 25
    preview = old.Batch.objects.create(connection=spoken, method="owner_artifact", status="preview")
    _stage(preview.pk, copies.utc_chat[0].key)
    return spoken, preview


def fresh_imports(owner, tmp_path: Path) -> tuple:
    """A fresh import of the same files by today's pipeline, for comparison."""
    fresh_zoned = _connection(owner, "fresh-zoned")
    _import(fresh_zoned, fixture_path("whatsapp", "android_dayfirst_24h.txt"))
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": "Europe/Berlin"})
    _import(fresh_zoned, fixture_path("whatsapp", "android_newer.txt"))
    OwnerProfile.objects.filter(owner=owner).update(time_zone="UTC")
    fresh_spoken = _connection(owner, "fresh-spoken")
    for path in (fixture_path("whatsapp", "android_dayfirst_24h.txt"), german(tmp_path)):
        _import(fresh_spoken, path)
    _import(fresh_spoken, with_media(tmp_path))
    return fresh_zoned, fresh_spoken


def assert_the_first_delivery_is_kept(
    copies: Copies, zoned, first: dict, backup, berlin_first_message
) -> None:
    """The kept message is the first delivery (read in UTC) and keeps the backup's delivery."""
    utc_chat = copies.utc_chat
    kept = Record.objects.get(pk=first[utc_chat[0].key].pk)
    assert kept.event_at == utc_chat[0].event_at
    assert kept.deliveries() == [
        (kept.first_batch_id, "owner_artifact"),
        (backup.pk, "device_backup"),
    ]
    assert not Record.objects.filter(pk=berlin_first_message.pk).exists()
    assert not RecordProvenance.objects.filter(record_id=berlin_first_message.pk).exists()
    hour = f"{utc_chat[0].event_at:%Y-%m-%dT%H}"
    at = berlin_first_message.event_at  # the backup's range, as it was
    assert summaries(zoned.pk, "device_backup")[4] == [
        ("device_backup", 1, 1, 0, at, at, {hour: 1})
    ]


def _stage(batch_id: int, key: str) -> None:
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO coverage_stagedrecord "
            "(batch_id, stream, key, event_at, event_day, payload, media) "
            "VALUES (%s, 'messages', %s, %s, 1, '{}', '')",
            [batch_id, key, "2024-01-01 00:00:00"],
        )


def _connection(owner, slug: str):
    return Connection.objects.create(owner=owner, connector="whatsapp", slug=slug, name=slug)


def _import(connection, path: Path) -> None:
    with path.open("rb") as source:
        batch = preview_artifact(connection, source, path.name)
    batch = start_commit(batch)
    batch.refresh_from_db()
    assert batch.status == "committed", batch.status


def test_repeated_words_in_one_minute_stay_separate_messages_and_new_keys_are_kept(
    owner, tmp_path, back_to_latest
):
    """Two "ok" within one minute of an iOS chat, read in two zones; a later export that
    added a third "ok" in that minute; a message already stored with today's key."""
    first_read, copy_read, later_read = _repeated_words_read(tmp_path)
    first, copy, later = (
        old_keyed(first_read),
        old_keyed(copy_read),
        old_keyed(later_read),
    )
    assert len({r.key for r in first} | {r.key for r in copy}) == 6

    apps = migrate_to(BEFORE)
    Connection = apps.get_model("connections", "Connection")
    Batch = apps.get_model("coverage", "AcquisitionBatch")
    OldRecord = apps.get_model("coverage", "Record")
    chat = Connection.objects.create(owner_id=owner.pk, connector="whatsapp", slug="c", name="c")
    held: set[str] = set()
    for zone, records in (("UTC", first), ("Asia/Tokyo", copy), ("UTC", later)):
        b = Batch.objects.create(
            connection=chat, method="owner_artifact", status="committed", time_zone_assumed=zone
        )
        for r in records:
            if r.key not in held:
                held.add(r.key)
                OldRecord.objects.create(
                    connection=chat,
                    stream=r.stream,
                    key=r.key,
                    event_at=r.event_at,
                    payload=r.payload,
                    first_batch=b,
                )
    assert OldRecord.objects.filter(connection=chat).count() == 7
    # A message imported after the new reader shipped, before this migration ran.
    newer = Batch.objects.create(connection=chat, method="owner_artifact", status="committed")
    stamp = parsed(_chat(tmp_path, ["[17.03.23, 08:00:00] Ben: Morning"]), "UTC")[0]
    OldRecord.objects.create(
        connection=chat,
        stream="messages",
        key=stamp.key,
        event_at=stamp.event_at,
        payload=stamp.payload,
        first_batch=newer,
    )

    migrate_to(AFTER)

    kept = Record.objects.filter(connection_id=chat.pk)
    assert set(kept.values_list("key", flat=True)) == {r.key for r in later_read} | {stamp.key}
    assert kept.filter(key=stamp.key, first_batch_id=newer.pk).exists()


def _repeated_words_read(tmp_path: Path) -> tuple:
    """The iOS chat read in UTC and in Asia/Tokyo, and its later export read in UTC."""
    ios = [
        "[16.03.23, 20:30:05] Ana: ok",
        "[16.03.23, 20:30:41] Ana: ok",
        "[16.03.23, 20:31:00] Ben: Good night",
    ]
    first_path = tmp_path / "first.txt"
    first_path.write_text("\n".join(ios) + "\n")
    later_path = tmp_path / "later.txt"
    later_path.write_text("\n".join([*ios[:2], "[16.03.23, 20:30:59] Ana: ok", ios[2]]) + "\n")
    return parsed(first_path, "UTC"), parsed(first_path, "Asia/Tokyo"), parsed(later_path, "UTC")


def _chat(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "one.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_copy_read_across_a_clock_change_still_merges(owner, tmp_path, back_to_latest):
    """In Europe/Berlin 02:30 and 03:30 of 26 March 2023 are one instant, so the old reader
    counted the second "ok" as a repeat of the first; read in UTC they were two firsts."""
    path = _chat(tmp_path, ["26/03/2023, 02:30 - Ana: ok", "26/03/2023, 03:30 - Ana: ok"])
    utc_read, berlin_read = parsed(path, "UTC"), parsed(path, "Europe/Berlin")
    # the old reader read the time that never came an hour on (02:30 as 03:30, one instant);
    # today's places it at 03:00, when the clocks went forward
    berlin_read[0] = dataclasses.replace(berlin_read[0], event_at=berlin_read[1].event_at)

    apps = migrate_to(BEFORE)
    Connection = apps.get_model("connections", "Connection")
    Batch = apps.get_model("coverage", "AcquisitionBatch")
    OldRecord = apps.get_model("coverage", "Record")
    chat = Connection.objects.create(owner_id=owner.pk, connector="whatsapp", slug="c", name="c")
    for zone, records in (("UTC", utc_read), ("Europe/Berlin", berlin_read)):
        b = Batch.objects.create(
            connection=chat, method="owner_artifact", status="committed", time_zone_assumed=zone
        )
        for r in old_keyed(records):
            OldRecord.objects.create(
                connection=chat,
                stream=r.stream,
                key=r.key,
                event_at=r.event_at,
                payload=r.payload,
                first_batch=b,
            )

    migrate_to(AFTER)

    kept = Record.objects.filter(connection_id=chat.pk)
    assert sorted(kept.values_list("key", flat=True)) == sorted(r.key for r in utc_read)
