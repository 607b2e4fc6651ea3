"""Migration 0016: lane summaries still keyed by UTC day are counted again per slot from the
records, so old data gets exact owner's days (issue 11): the same slot keys, media marks and
holes a fresh import gives. Backwards is a no-op (slot keys are what the code reads)."""

from __future__ import annotations

import io
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from connections.connectors.base import BatchFacts, ParsedRecord, location_key
from connections.services import add_connection
from coverage.models import CoverageSummary, LaneSummary
from coverage.pipeline import acquire_records, preview_artifact, start_commit
from coverage.pipeline.summaries import holes
from tests.coverage.conftest import migrate_to
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

BEFORE = ("coverage", "0015_batch_trigger_watched_folder")
AUCKLAND = ZoneInfo("Pacific/Auckland")

CHAT = "\n".join([
    "20/11/2023, 23:30 - Ana: <Media omitted>",
    "21/11/2023, 00:30 - Ben: Yes, can't sleep",
    "21/11/2023, 23:30 - Ana: Again?",
]) + "\n"


def fixes(days: list[int]) -> list[ParsedRecord]:
    found = []
    for d in days:
        for h in range(24):
            at = datetime.combine(datetime(2026, 11, d).date(), time(h, 30), AUCKLAND)
            found.append(ParsedRecord("locations", location_key(at, 38.72, -9.14), at, {"lat": 38.72, "lon": -9.14}))
    return found


def as_kept_before_slots(connection) -> None:
    """Rewrite a connection's lanes and holes as summaries were kept before slots: per UTC day."""
    held: set[str] = set()
    for lane in LaneSummary.objects.filter(connection=connection):
        days: dict[str, int] = {}
        for key, n in lane.day_counts.items():
            days[key[:10]] = days.get(key[:10], 0) + n
        lane.day_counts = days
        lane.media_days = sorted({key[:10] for key in lane.media_days})
        lane.save()
        held.update(days)
    summary = CoverageSummary.objects.get(connection=connection)
    summary.holes = holes(held, connection.manifest)  # UTC days, as the rule was
    summary.save()


def kept(connection):
    lanes = {lane.method: (lane.day_counts, lane.media_days, lane.records)
             for lane in LaneSummary.objects.filter(connection=connection)}
    return lanes, CoverageSummary.objects.get(connection=connection).holes


def test_summaries_kept_by_utc_day_are_counted_again_as_a_fresh_import_keeps_them(owner, back_to_latest):
    OwnerProfileFactory(owner=owner, time_zone="Pacific/Auckland")
    phone = add_connection(owner, "owntracks", "my-phone", "My phone")
    acquire_records(phone, method="device_sync", trigger="push", records=fixes([1, 2, 3, 4, 5, 9, 10]),
                    facts=BatchFacts(source_format="owntracks_http", parser_version="owntracks/1"),
                    now=datetime(2026, 11, 12, 12, 0, tzinfo=AUCKLAND))
    chat = add_connection(owner, "whatsapp", "night-owls", "Night owls")
    start_commit(preview_artifact(chat, io.BytesIO(CHAT.encode()), "WhatsApp Chat with Ben.txt"))
    fresh = {c.pk: kept(c) for c in (phone, chat)}
    assert fresh[phone.pk][1] == [{"start": "2026-11-06", "end": "2026-11-08", "days": 3, "zone": "Pacific/Auckland",
                                   "from": "2026-11-05T11:00:00+00:00", "until": "2026-11-08T11:00:00+00:00"}]
    assert fresh[chat.pk][0]["owner_artifact"][1] == ["2023-11-20T10"]  # 23:30 in Auckland
    for connection in (phone, chat):
        as_kept_before_slots(connection)
    assert CoverageSummary.objects.get(connection=phone).holes == []  # two empty UTC days: no gap then

    migrate_to(BEFORE)  # backwards: nothing to undo
    assert all(len(k) == 10 for k in LaneSummary.objects.get(connection=phone).day_counts)
    call_command("migrate", verbosity=0)

    assert {c.pk: kept(c) for c in (phone, chat)} == fresh
