"""Browse by day (issue 17): a day of the coverage timeline opens that day's records, in the owner's
day and zone, each shown as its connector's manifest declares and saying what delivered it.

Every source here is filled by a real import (preview, commit, landing), a real phone push through
``/ingest/owntracks``, or a real pull from a local HTTP server.
"""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import OwnerProfile
from connections.services import add_connection
from connections.tokens import issue_device_token
from coverage.models import AcquisitionBatch, RecordProvenance
from coverage.pipeline import land_batch, preview_artifact, start_commit
from coverage.pipeline.pull import pull
from tests.live.conftest import ical

from .conftest import export

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


def _zone(owner, name: str) -> None:
    OwnerProfile.objects.update_or_create(owner=owner, defaults={"time_zone": name})


def _import(connection, source, name: str) -> AcquisitionBatch:
    data = source.read_bytes() if hasattr(source, "read_bytes") else source
    preview = preview_artifact(connection, BytesIO(data), name)
    assert preview.count_accepted or preview.count_parsed, preview.reject_detail
    start_commit(preview, enqueue=False)
    batch = land_batch(preview.pk, now=NOW)
    assert batch.status == AcquisitionBatch.Status.COMMITTED
    return batch


def _gpx(points: list[tuple[str, float, float]]) -> bytes:
    rows = "".join(f'<trkpt lat="{lat}" lon="{lon}"><time>{at}</time></trkpt>' for at, lat, lon in points)
    return (f'<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><trkseg>{rows}</trkseg></trk></gpx>").encode()


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def _day(client, slug: str, day: str, **params) -> str:
    response = client.get(f"/sources/{slug}/days/{day}/", params)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- each kind of view


def test_a_chat_day_shows_messages_with_authors_times_and_media(owner, owner_client):
    _zone(owner, "Europe/Lisbon")
    chat = add_connection(owner, "whatsapp", "lisbon", "Lisbon trip")
    _import(chat, export("whatsapp/ios_missing_media.zip"), "WhatsApp Chat - Lisbon Trip.zip")

    page = _day(owner_client, "lisbon", "2023-03-12")
    text = _text(page)
    assert 'class="day-list messages"' in page
    assert "Ana Souza 09:16 WET Welcome everyone!" in text
    assert "Cara Lima 12:01 WET Lunch first?" in text
    assert "Attached: 00000003-PHOTO-2023-03-12-21-17-05.jpg" in text
    assert "Can't sleep" not in text  # 13 Mar
    assert "From the import of 1 Dec 2026 · WhatsApp Chat - Lisbon Trip.zip" in text

    text = _text(_day(owner_client, "lisbon", "2023-03-13"))
    assert "Missing: 00000005-AUDIO-2023-03-13-13-05-09.opus was not included in the export" in text
    assert "Welcome everyone!" not in text


def test_a_location_day_lists_its_points(owner, owner_client):
    _zone(owner, "Europe/Berlin")
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    batch = _import(tracks, export("gpx/gpslogger.gpx"), "gpslogger.gpx")

    page = _day(owner_client, "tracks", "2024-05-04")
    text = _text(page)
    assert 'class="day-table points"' in page
    assert page.count('<tr class="point">') == batch.count_accepted > 1
    assert "09:04 CEST 52.50650 13.41050" in text
    assert "From the import of 1 Dec 2026 · gpslogger.gpx" in text


def test_a_health_day_is_a_table_by_type_with_units(owner, owner_client):
    _zone(owner, "Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "Health")
    _import(health, export("apple_health/export.zip"), "export.zip")

    page = _day(owner_client, "health", "2024-05-01")
    text = _text(page)
    assert "<caption>Heart rate</caption>" in page  # HealthKit's type names in words
    assert "Time Value Unit Source Delivered" in text
    assert "10:00 CEST 62 count/min Ana’s Apple Watch From the import of 1 Dec 2026 · export.zip" in text
    assert "<caption>Step count</caption>" in page
    assert "09:00 to 09:14 CEST 400 count Ana’s iPhone" in text  # a sample that lasts says until when
    # A workout says how long, how far and what it burned (before: no energy; tester, session 20).
    assert "07:30 to 08:02 CEST 32.5 min 5.1 km 402.7 Cal" in text
    assert "HKQuantityTypeIdentifier" not in text
    # A day's activity summary names a day, not a time of it.
    assert "<h2>Activity summaries</h2>" in page
    assert "All day 496.3 Cal 31 11" in text and "12:00 CEST" not in text


def test_a_health_night_shows_its_sleep_stages_in_words(owner, owner_client):
    """Ana's watch records her sleep stages as HealthKit constants; her day page names them as the
    Health app does (the core stage that starts at 23:10 on 1 May), never the constant."""
    _zone(owner, "Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "Health")
    _import(health, export("apple_health/export.zip"), "export.zip")

    page = _day(owner_client, "health", "2024-05-01")
    text = _text(page)
    assert "<caption>Sleep analysis</caption>" in page
    assert "23:10 to 01:40 CEST the next day Asleep (core) Ana’s Apple Watch" in text  # until when (before: 23:10)
    assert "HKCategoryValue" not in text


def test_a_calendar_day_is_an_agenda(owner, owner_client, httpserver, settings):
    _zone(owner, "Europe/Berlin")
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["127.0.0.1"]
    httpserver.expect_request("/cal.ics").respond_with_data(ical("calendar.ics"), content_type="text/calendar")
    calendar = add_connection(owner, "ical_feed", "cal", "Calendar",
                              feed_url=f"http://127.0.0.1:{httpserver.port}/cal.ics")
    assert pull(calendar, timezone.now()).outcome == "success"

    page = _day(owner_client, "cal", "2024-06-04")
    text = _text(page)
    assert 'class="day-list agenda"' in page
    assert "16:30 CEST Dentist with a very long title" in text
    assert "Main St. 1" in text
    assert "From the feed" in text
    assert "Team stand-up (moved)" not in text  # 5 Jun


# ---------------------------------------------------------------- getting there, and what it says


def test_a_day_of_the_timeline_links_to_that_days_records(owner, owner_client):
    _zone(owner, "Europe/Lisbon")
    chat = add_connection(owner, "whatsapp", "lisbon", "Lisbon trip")
    _import(chat, export("whatsapp/ios_missing_media.zip"), "chat.zip")

    source = owner_client.get("/sources/lisbon/").content.decode()
    assert '<a href="/sources/lisbon/days/2023-03-12/" class="day-link">' in source
    assert '<a href="/sources/lisbon/days/2023-03-12/">12 Mar 2023</a>' in source  # the table too
    assert "Welcome everyone!" in _day(owner_client, "lisbon", "2023-03-12")


def test_a_point_says_it_came_from_the_phone_and_from_the_import(owner, owner_client, client):
    _zone(owner, "Europe/Berlin")
    phone = add_connection(owner, "owntracks", "phone", "My phone")
    _import(phone, export("gpx/gpslogger.gpx"), "gpslogger.gpx")
    _, secret = issue_device_token(phone)
    body = {"_type": "location", "lat": 52.5065, "lon": 13.4105, "tid": "p1",
            "tst": int(datetime(2024, 5, 4, 7, 4, 10, tzinfo=UTC).timestamp())}
    auth = base64.b64encode(f"{owner.username}:{secret}".encode()).decode()
    pushed = client.post("/ingest/owntracks", json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Basic {auth}")
    assert pushed.status_code == 200
    assert RecordProvenance.objects.count() == 1

    text = _text(_day(owner_client, "phone", "2024-05-04"))
    assert "09:04 CEST 52.50650 13.41050 From the import of 1 Dec 2026 · gpslogger.gpx and from the phone" in text
    assert text.count("and from the phone") == 1


def test_an_auckland_owners_day_is_their_own(owner, owner_client):
    _zone(owner, "Pacific/Auckland")
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    # 23:30 and 00:30 in Auckland (NZST, UTC+12): the same UTC day, two of the owner's days.
    _import(tracks, _gpx([("2024-05-03T11:30:00Z", 1.0, 2.0), ("2024-05-03T12:30:00Z", 3.0, 4.0)]), "walk.gpx")

    late = _text(_day(owner_client, "tracks", "2024-05-03"))
    early = _text(_day(owner_client, "tracks", "2024-05-04"))
    assert "23:30 NZST 1.00000 2.00000" in late and "3.00000" not in late
    assert "00:30 NZST 3.00000 4.00000" in early and "1.00000" not in early
    source = owner_client.get("/sources/tracks/").content.decode()
    assert 'href="/sources/tracks/days/2024-05-04/"' in source


def test_a_busy_day_is_paged_with_earlier_and_later_links(owner, owner_client):
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    start = datetime(2024, 5, 4, 6, 0, tzinfo=UTC)
    points = [((start + timedelta(seconds=20 * i)).isoformat(), 10.0, 20.0 + i * 1e-4) for i in range(503)]
    _import(tracks, _gpx(points), "busy.gpx")

    first = _day(owner_client, "tracks", "2024-05-04")
    assert first.count('<tr class="point">') == 500
    assert 'href="/sources/tracks/days/2024-05-04/?page=2"' in first and "Earlier points" not in first
    second = _day(owner_client, "tracks", "2024-05-04", page=2)
    assert second.count('<tr class="point">') == 3
    assert "Earlier points" in second and "Later points" not in second
    assert 'href="/sources/tracks/days/2024-05-03/"' in first and 'href="/sources/tracks/days/2024-05-05/"' in first


def _overland(client, secret: str, points: list[tuple[datetime, float, float]]) -> None:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"timestamp": at.isoformat()}} for at, lat, lon in points]
    response = client.post("/ingest/overland", json.dumps({"locations": features}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content


def test_the_page_loads_provenance_in_a_constant_number_of_queries(owner, owner_client, client):
    def queries(slug: str, n: int) -> int:
        phone = add_connection(owner, "owntracks", slug, slug)
        start = datetime(2024, 5, 4, 6, 0, tzinfo=UTC)
        points = [(start + timedelta(minutes=i), 10.0, 20.0 + i * 1e-3) for i in range(n)]
        _import(phone, _gpx([(at.isoformat(), lat, lon) for at, lat, lon in points]), f"{slug}.gpx")
        _, secret = issue_device_token(phone)
        _overland(client, secret, points)  # every point again, from the phone
        with CaptureQueriesContext(db) as captured:
            page = _day(owner_client, slug, "2024-05-04")
        assert page.count('<tr class="point">') == n
        assert page.count("and from the phone") == n
        return len(captured)

    assert queries("few", 2) == queries("many", 80)


def test_another_owners_day_is_not_found(owner, other_owner, client):
    add_connection(other_owner, "gpx", "theirs", "Theirs")
    add_connection(owner, "gpx", "mine", "Mine")
    client.force_login(owner)
    assert "No points on 4 May 2024." in client.get("/sources/mine/days/2024-05-04/").content.decode()
    assert client.get("/sources/theirs/days/2024-05-04/").status_code == 404
    assert client.get("/sources/nothing/days/2024-05-04/").status_code == 404


def test_an_htmx_request_gets_the_records_alone(owner, owner_client):
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    _import(tracks, export("gpx/gpslogger.gpx"), "gpslogger.gpx")
    page = owner_client.get("/sources/tracks/days/2024-05-04/", HTTP_HX_REQUEST="true").content.decode()
    assert page.lstrip().startswith('<div id="day-records"') and "<html" not in page
    assert owner_client.get("/sources/tracks/days/not-a-day/").status_code == 404


def test_a_week_of_a_long_timeline_links_to_its_first_day_with_records(owner, owner_client):
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    start = datetime(2024, 1, 3, 12, 0, tzinfo=UTC)  # a Wednesday; 200 days draw one cell a week
    _import(tracks, _gpx([((start + timedelta(days=i)).isoformat(), 10.0, 20.0) for i in range(0, 200, 3)]), "year.gpx")

    source = owner_client.get("/sources/tracks/").content.decode()
    assert "One cell per week." in source
    assert '<a href="/sources/tracks/days/2024-01-03/" class="day-link">' in source
    assert '<a href="/sources/tracks/days/2024-01-09/" class="day-link">' in source  # week of 8 Jan: 9 Jan
    assert "12:00 UTC 10.00000 20.00000" in _text(_day(owner_client, "tracks", "2024-01-09"))
