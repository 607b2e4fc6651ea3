"""Places on a map (issue 17): a location day shows its points on a small map, and a location
source opens a map of a chosen range. The map is drawn by vendored Leaflet from data the page
holds in a ``json_script`` element; the tile server is an installation setting.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connections.services import add_connection
from tests.factories import OwnerProfileFactory

from .conftest import export
from .test_days import _day, _gpx, _import

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


def _map_data(page: str, element: str) -> dict:
    found = re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', page, re.S)
    assert found, f"no {element} on the page"
    return json.loads(found.group(1))


@pytest.fixture
def walks(owner):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    _import(tracks, export("gpx/gpslogger.gpx"), "gpslogger.gpx")
    return tracks


def test_a_location_day_draws_its_points_on_a_map(owner_client, walks, settings):
    settings.OWNERHUB_MAP_TILES = ""
    page = _day(owner_client, "tracks", "2024-05-04")
    data = _map_data(page, "day-map-data")
    rows = page.count('<tr class="point">')
    assert len(data["points"]) == rows > 1
    assert data["points"][0] == {"lat": 52.5065, "lon": 13.4105, "time": "09:04 CEST", "label": ""}
    assert data["tiles"] == ""
    assert 'class="map" id="day-map" data-map="day-map-data"' in page
    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/js/map.js" in page
    assert "<script>" not in page  # nothing inline: the page's policy allows only its own files


def test_the_tile_server_is_an_installation_setting_with_openstreetmap_by_default(owner_client, walks, settings,
                                                                                  monkeypatch):
    del settings.OWNERHUB_MAP_TILES  # tests run without tiles (tests/conftest.py); the default is OpenStreetMap
    monkeypatch.delenv("OWNERHUB_MAP_TILES", raising=False)
    page = _day(owner_client, "tracks", "2024-05-04")
    assert _map_data(page, "day-map-data")["tiles"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap contributors" in _map_data(page, "day-map-data")["attribution"]
    settings.OWNERHUB_MAP_TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert _map_data(_day(owner_client, "tracks", "2024-05-04"), "day-map-data")["tiles"].startswith(
        "https://tiles.example.org/")


def test_a_chat_day_has_no_map(owner, owner_client):
    chat = add_connection(owner, "whatsapp", "lisbon", "Lisbon trip")
    _import(chat, export("whatsapp/ios_missing_media.zip"), "WhatsApp Chat - Lisbon Trip.zip")
    page = _day(owner_client, "lisbon", "2023-03-12")
    assert "day-map" not in page and "leaflet" not in page
    assert "See these places on a map" not in owner_client.get("/sources/lisbon/").content.decode()
    assert owner_client.get("/sources/lisbon/map/").status_code == 404


def test_a_day_without_points_has_no_map(owner_client, walks):
    page = _day(owner_client, "tracks", "2024-05-10")
    assert "No points on 10 May 2024." in page and "day-map-data" not in page


def test_the_source_page_opens_a_map_of_a_chosen_range(owner, owner_client):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    points = [((start + timedelta(days=d, minutes=m)).isoformat(), 52.5 + d / 100, 13.4 + m / 1000)
              for d in range(10) for m in range(3)]
    _import(tracks, _gpx(points), "ten-days.gpx")

    source = owner_client.get("/sources/tracks/").content.decode()
    assert 'href="/sources/tracks/map/"' in source and "See these places on a map" in source

    latest = owner_client.get("/sources/tracks/map/").content.decode()  # the last week with points
    assert len(_map_data(latest, "range-map-data")["points"]) == 7 * 3
    assert 'value="2024-05-04"' in latest and 'value="2024-05-10"' in latest

    chosen = owner_client.get("/sources/tracks/map/", {"from": "2024-05-02", "to": "2024-05-03"})
    data = _map_data(chosen.content.decode(), "range-map-data")
    assert [p["lat"] for p in data["points"]] == [52.51] * 3 + [52.52] * 3
    assert data["points"][0]["time"] == "2 May 2024 at 10:00 CEST"
    assert "6 points from 2 May 2024 to 3 May 2024" in chosen.content.decode()

    empty = owner_client.get("/sources/tracks/map/", {"from": "2023-01-01", "to": "2023-01-02"}).content.decode()
    assert "No points from 1 Jan 2023 to 2 Jan 2023." in empty and "range-map-data" not in empty


def test_a_long_range_is_thinned_evenly_and_says_so(owner, owner_client, monkeypatch):
    from coverage import views_map

    monkeypatch.setattr(views_map, "MAP_POINTS", 10)
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    start = datetime(2024, 5, 4, 8, 0, tzinfo=UTC)
    _import(tracks, _gpx([((start + timedelta(minutes=i)).isoformat(), 10.0, 20.0 + i / 100) for i in range(45)]),
            "busy.gpx")
    page = owner_client.get("/sources/tracks/map/", {"from": "2024-05-04", "to": "2024-05-04"}).content.decode()
    points = _map_data(page, "range-map-data")["points"]
    assert len(points) == 9 and points[0]["lon"] == 20.0 and points[-1]["lon"] == 20.4
    assert "45 points from 4 May 2024. 9 points drawn, evenly spread over the range." in re.sub(r"\s+", " ", page)


def test_another_owners_map_is_not_found(owner, other_owner, client, walks):
    client.force_login(other_owner)
    assert client.get("/sources/tracks/map/").status_code == 404


def test_leaflet_is_vendored_with_its_licence():
    leaflet = STATIC / "vendor" / "leaflet"
    assert "Leaflet" in (leaflet / "leaflet.js").read_text()[:400]
    assert "Volodymyr Agafonkin" in (leaflet / "LICENSE").read_text()
    assert (leaflet / "leaflet.css").exists() and (leaflet / "images" / "marker-icon.png").exists()


def test_a_later_page_of_a_busy_day_brings_its_own_map(owner, owner_client):
    tracks = add_connection(owner, "gpx", "tracks", "Walks")
    start = datetime(2024, 5, 4, 8, 0, tzinfo=UTC)
    _import(tracks, _gpx([((start + timedelta(seconds=20 * i)).isoformat(), 10.0, 20.0 + i * 1e-4) for i in range(503)]),
            "busy.gpx")
    later = owner_client.get("/sources/tracks/days/2024-05-04/", {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert len(_map_data(later, "day-map-data")["points"]) == 3  # swapped in with the records it draws
    assert "<html" not in later
