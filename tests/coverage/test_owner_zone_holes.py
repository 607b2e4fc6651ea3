"""Gaps are counted in the owner's days (issue 11, sections 1 and 3): one rule
(``pipeline.summaries.holes``) cuts them from the per-slot counts in the owner's zone, so the
receipt, the card and the timeline show the same owner's days, far east or west of UTC.

A phone that goes quiet for whole days of the owner's clock has a gap on exactly those days, and a
fix at 23:30 local keeps its owner's day out of the gap. The phone pushes through the real pipeline
and the source page is rendered.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from connections.connectors.base import BatchFacts, ParsedRecord, location_key
from connections.services import add_connection
from coverage.days import owner_gaps
from coverage.evidence import load_one, load_receipt
from coverage.models import AcquisitionBatch
from coverage.pipeline import acquire_records, preview_artifact, start_commit
from coverage.pipeline.summaries import holes
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


ZONES = ["Pacific/Auckland", "America/Los_Angeles"]  # UTC+13 and UTC-8 in November


def fixes(tz: ZoneInfo, days: list[int], hours: list[time] | None = None) -> list[ParsedRecord]:
    """A fix every hour (on the half hour, local time) of the given November 2026 days."""
    found = []
    for d in days:
        for at_time in hours or [time(h, 30) for h in range(24)]:
            at = datetime.combine(datetime(2026, 11, d).date(), at_time, tz)
            found.append(ParsedRecord("locations", location_key(at, 38.72, -9.14), at, {"lat": 38.72, "lon": -9.14}))
    return found


def push(owner, zone: str, records: list[ParsedRecord]):
    OwnerProfileFactory(owner=owner, time_zone=zone)
    phone = add_connection(owner, "owntracks", "my-phone", "My phone")  # declares holes after 2 empty days
    batch = acquire_records(
        phone, method="device_sync", trigger="push", records=records,
        facts=BatchFacts(source_format="owntracks_http", parser_version="owntracks/1"),
        now=datetime(2026, 11, 12, 12, 0, tzinfo=ZoneInfo(zone)),
    )
    return phone, batch


def the_same_gap_everywhere(phone, batch, owner_client, gap: tuple[str, str, int], words: str) -> None:
    receipt = load_receipt(AcquisitionBatch.objects.select_related("connection", "duplicate_of").get(pk=batch.pk))
    assert [(g.start, g.end, g.days) for g in receipt.gaps] == [gap]
    health = load_one(phone)
    assert [(g.start, g.end, g.days) for g in health.coverage.gaps] == [gap]
    page = owner_client.get(f"/sources/{phone.slug}/").content.decode()
    assert f"Gap: nothing from {words}" in page
    assert page.count("<td>gap</td>") == gap[2]


@pytest.mark.parametrize("zone", ZONES)
def test_a_phone_quiet_for_three_whole_owner_days_shows_that_gap_on_receipt_card_and_timeline(
    owner, owner_client, zone
):
    # Fixes through 5 Nov 23:30 local, nothing on 6, 7 and 8 Nov, again from 9 Nov 00:30 local.
    phone, batch = push(owner, zone, fixes(ZoneInfo(zone), [1, 2, 3, 4, 5, 9, 10]))

    the_same_gap_everywhere(phone, batch, owner_client, ("2026-11-06", "2026-11-08", 3),
                            "6 Nov 2026 to 8 Nov 2026 (3 days)")


@pytest.mark.parametrize("zone", ZONES)
def test_a_fix_at_half_past_eleven_at_night_keeps_its_owner_day_out_of_the_gap(owner, owner_client, zone):
    tz = ZoneInfo(zone)
    records = fixes(tz, [1, 2, 3, 4, 5]) + fixes(tz, [6], [time(23, 30)]) + fixes(tz, [10, 11])

    phone, batch = push(owner, zone, records)

    the_same_gap_everywhere(phone, batch, owner_client, ("2026-11-07", "2026-11-09", 3),
                            "7 Nov 2026 to 9 Nov 2026 (3 days)")


@pytest.mark.parametrize("zone", ZONES)
def test_a_phone_quiet_from_midnight_to_midnight_local_is_a_one_day_gap_on_that_owner_day(zone):
    """The rule itself, for a source that expects something every few hours."""
    tz = ZoneInfo(zone)
    hourly = SimpleNamespace(hole_after=timedelta(hours=12))
    keys = [
        (datetime(2026, 11, d, h, 0, tzinfo=tz)).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H")
        for d in (9, 11) for h in range(24)
    ]

    found = holes(keys, hourly, tz)

    assert owner_gaps(found, tz) == [("2026-11-10", "2026-11-10", 1)]
    # Read later in another zone, the hole is the days of that zone wholly inside it.
    assert owner_gaps(found, ZoneInfo("UTC")) == []



@pytest.mark.parametrize("zone", ZONES)
def test_an_imported_timeline_quiet_for_four_owner_days_shows_that_gap_on_its_receipt_and_card(
    owner, owner_client, zone
):
    tz = ZoneInfo(zone)
    points = [
        {"latitudeE7": 387200000, "longitudeE7": -91400000,
         "timestamp": record.event_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")}
        for record in fixes(tz, [1, 2, 3, 4, 5, 10, 11])  # nothing on 6 to 9 Nov, local time
    ]
    OwnerProfileFactory(owner=owner, time_zone=zone)
    timeline = add_connection(owner, "google_timeline", "my-timeline", "My Timeline")  # holes after 3 empty days
    batch = start_commit(preview_artifact(timeline, io.BytesIO(json.dumps({"locations": points}).encode()),
                                          "Records.json"))

    the_same_gap_everywhere(timeline, batch, owner_client, ("2026-11-06", "2026-11-09", 4),
                            "6 Nov 2026 to 9 Nov 2026 (4 days)")


def test_quarter_hour_slots_of_a_kathmandu_owner_give_the_gap_on_that_owner_day():
    tz = ZoneInfo("Asia/Kathmandu")  # +05:45: the summaries keep quarter hours
    hourly = SimpleNamespace(hole_after=timedelta(hours=12))
    keys = [
        datetime(2026, 11, d, h, m, tzinfo=tz).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M")
        for d in (9, 11) for h in range(24) for m in (0, 15, 30, 45)
    ]

    assert owner_gaps(holes(keys, hourly, tz), tz) == [("2026-11-10", "2026-11-10", 1)]


def hourly_points(first: datetime, last: datetime) -> list[dict]:
    """Timeline points every hour from ``first`` through ``last`` (given in any zone)."""
    found, at = [], first
    while at <= last:
        found.append({"latitudeE7": 387200000, "longitudeE7": -91400000,
                      "timestamp": at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")})
        at += timedelta(hours=1)
    return found


MOVES = [
    # imported in, moved to, the last point before the quiet days and the first after (both in the
    # zone imported in), the quiet days in the new zone
    ("UTC", "Pacific/Auckland", datetime(2024, 10, 27, 8, 20), datetime(2024, 11, 2, 10, 30),
     ("2024-10-28", "2024-11-01", 5)),
    ("Pacific/Auckland", "America/Los_Angeles", datetime(2026, 11, 5, 10, 15), datetime(2026, 11, 10, 20, 45),
     ("2026-11-05", "2026-11-08", 4)),
    ("America/Los_Angeles", "Asia/Kathmandu", datetime(2026, 11, 5, 16, 0), datetime(2026, 11, 10, 2, 0),
     ("2026-11-07", "2026-11-09", 3)),
]


@pytest.mark.parametrize(("imported_in", "moved_to", "last", "first", "gap"), MOVES)
def test_an_owner_who_moves_after_importing_sees_every_wholly_quiet_day_of_the_new_zone_as_the_gap(
    owner, owner_client, imported_in, moved_to, last, first, gap
):
    # The tester imported a Timeline in UTC and moved to Auckland: 28 Oct was empty in Auckland from
    # its first hour, yet the gap began on 29 Oct, as the UTC days had been cut when it was imported.
    tz = ZoneInfo(imported_in)
    last, first = last.replace(tzinfo=tz), first.replace(tzinfo=tz)
    points = hourly_points(last - timedelta(days=3), last) + hourly_points(first, first + timedelta(days=3))
    profile = OwnerProfileFactory(owner=owner, time_zone=imported_in)
    timeline = add_connection(owner, "google_timeline", "my-timeline", "My Timeline")
    batch = start_commit(preview_artifact(timeline, io.BytesIO(json.dumps({"locations": points}).encode()),
                                          "Records.json"))

    profile.time_zone = moved_to
    profile.save()

    start, end, days = gap
    words = f"{datetime.fromisoformat(start):%-d %b %Y} to {datetime.fromisoformat(end):%-d %b %Y} ({days} days)"
    the_same_gap_everywhere(timeline, batch, owner_client, gap, words)
