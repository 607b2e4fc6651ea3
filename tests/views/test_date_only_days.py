"""A date written without a time is on that date for its owner, wherever they live.

An all-day event in a calendar feed (``DTSTART;VALUE=DATE``) and a day's activity summary in an
Apple Health export (``dateComponents``) name a date, not an instant. Days are counted in the
owner's zone, so each stands at noon of its date in that zone (``base.day_instant``). Before, an
all-day event stood at midnight UTC, the day before for an owner anywhere west of Greenwich, and
a summary at midnight in the zone it was read in, the day before once the owner moved west.

Each source is filled for real: the feed is pulled from a local HTTP server, the export goes
through preview, commit and landing. The owner looks at the day pages and the source's card.
"""

from __future__ import annotations

import html
import re
from datetime import date
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from connections.models import OwnerProfile
from connections.services import add_connection
from coverage.evidence import load_one
from coverage.pipeline import land_batch, preview_artifact, start_commit
from coverage.pipeline.pull import pull

from .conftest import export

pytestmark = pytest.mark.django_db

ZONES = [
    "Pacific/Pago_Pago",  # UTC-11
    "America/St_Johns",  # UTC-03:30
    "America/Los_Angeles",
    "UTC",
    "Asia/Kathmandu",  # UTC+05:45
    "Pacific/Auckland",  # UTC+13 in December
    "Pacific/Kiritimati",  # UTC+14
]

FEED = "\r\n".join([
    "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ownerhub test//EN",
    "BEGIN:VEVENT", "UID:birthday-1@test", "DTSTART;VALUE=DATE:20261201", "DTEND;VALUE=DATE:20261202",
    "SUMMARY:Grandma's birthday", "END:VEVENT",
    "BEGIN:VEVENT", "UID:holiday-1@test", "DTSTART;VALUE=DATE:20261205", "DTEND;VALUE=DATE:20261206",
    "SUMMARY:Holiday in the mountains", "END:VEVENT",
    "END:VCALENDAR", "",
]).encode()


def _zone(owner, name: str) -> None:
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": name})


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def _feed(owner, httpserver, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["127.0.0.1"]
    httpserver.expect_request("/family.ics").respond_with_data(FEED, content_type="text/calendar")
    calendar = add_connection(owner, "ical_feed", "family", "Family calendar",
                              feed_url=f"http://127.0.0.1:{httpserver.port}/family.ics")
    assert pull(calendar, timezone.now()).outcome == "success"
    return calendar


@pytest.mark.parametrize("zone", ZONES)
def test_an_all_day_event_is_on_its_date_in_the_owners_zone(owner, owner_client, httpserver, settings, zone):
    _zone(owner, zone)
    calendar = _feed(owner, httpserver, settings)

    assert "All day Grandma's birthday" in _text(owner_client, "/sources/family/days/2026-12-01/")
    assert "Grandma's birthday" not in _text(owner_client, "/sources/family/days/2026-11-30/")
    assert "Grandma's birthday" not in _text(owner_client, "/sources/family/days/2026-12-02/")
    assert "All day Holiday in the mountains" in _text(owner_client, "/sources/family/days/2026-12-05/")

    assert "Covers 1 Dec to 5 Dec 2026" in _text(owner_client, "/sources/family/")
    coverage = load_one(calendar).coverage
    assert coverage.earliest_event_at.astimezone(ZoneInfo(zone)).date() == date(2026, 12, 1)
    assert coverage.covered_through.astimezone(ZoneInfo(zone)).date() == date(2026, 12, 5)


@pytest.mark.parametrize("zone", ZONES)
def test_a_days_activity_summary_is_on_its_date_in_the_owners_zone(owner, owner_client, zone):
    _zone(owner, zone)
    health = add_connection(owner, "apple_health", "health", "Health")
    preview = preview_artifact(health, BytesIO(export("apple_health/export.zip").read_bytes()), "export.zip")
    start_commit(preview, enqueue=False)
    land_batch(preview.pk)

    summaries = health.records.filter(stream="activity_summaries").order_by("event_at")
    days = [s.event_at.astimezone(ZoneInfo(zone)).date().isoformat() for s in summaries]
    assert days == [s.payload["date"] for s in summaries] == ["2024-05-01", "2024-05-02", "2024-05-03"]
    assert "Activity summaries" in _text(owner_client, "/sources/health/days/2024-05-03/")
    assert "Activity summaries" not in _text(owner_client, "/sources/health/days/2024-05-04/")


@pytest.mark.parametrize("read_in, moved_to, shown_on", [
    ("Europe/Berlin", "America/New_York", "2026-12-01"),  # six hours west
    ("Asia/Kathmandu", "America/St_Johns", "2026-12-01"),  # nine and a quarter hours west
    ("Asia/Tokyo", "Europe/Berlin", "2026-12-01"),  # eight hours west
    # Noon in Los Angeles is already the next morning in Auckland (21 hours east): a move of more
    # than 12 hours is the one case a date read in one zone cannot follow, and it shows a day late.
    ("America/Los_Angeles", "Pacific/Auckland", "2026-12-02"),
])
def test_an_owner_who_moves_keeps_the_day_of_an_all_day_event(owner, owner_client, httpserver, settings,
                                                              read_in, moved_to, shown_on):
    _zone(owner, read_in)
    _feed(owner, httpserver, settings)
    _zone(owner, moved_to)
    assert "All day Grandma's birthday" in _text(owner_client, f"/sources/family/days/{shown_on}/")
