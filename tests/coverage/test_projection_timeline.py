"""The projection carries the timeline (issue 11, section 3): per lane, buckets of the owner's days with
records, media-missing days and holes, at a resolution that fits the span; the loader gives it for a
source's page in the same constant number of queries."""

from __future__ import annotations

import json
from datetime import UTC, date
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from connections.models import Connection
from coverage.evidence import load_health, load_one
from coverage.models import LaneSummary
from coverage.projection.timeline import timeline_of
from coverage.serializers import health_json
from coverage.services import issue_access_token
from tests.scenarios import NOW, SCENARIOS

AUCKLAND, LOS_ANGELES = ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")


def lane(method: str, slots: dict[str, int], media: list[str] = ()) -> LaneSummary:
    return LaneSummary(method=method, day_counts=slots, media_days=list(media))


# 23:30 and 00:30 in Auckland (UTC+13 in November) are 10:30 and 11:30 UTC of one UTC day.
NIGHT = {"2023-11-20T10": 1, "2023-11-20T11": 1}


@pytest.mark.parametrize(
    ("zone", "slots", "expected"),
    [
        (AUCKLAND, NIGHT, {date(2023, 11, 20): 1, date(2023, 11, 21): 1}),
        # 23:30 and 00:30 in Los Angeles (UTC-8) are 07:30 and 08:30 UTC of one UTC day.
        (LOS_ANGELES, {"2023-11-21T07": 1, "2023-11-21T08": 1}, {date(2023, 11, 20): 1, date(2023, 11, 21): 1}),
        # Kathmandu is UTC+05:45: its midnight falls inside a UTC hour, so slots are quarter hours.
        (ZoneInfo("Asia/Kathmandu"), {"2023-11-20T18:00": 1, "2023-11-20T18:15": 1},
         {date(2023, 11, 20): 1, date(2023, 11, 21): 1}),
    ],
    ids=["auckland", "los_angeles", "kathmandu"],
)
def test_each_record_counts_on_the_owners_day_it_was_written(zone, slots, expected):
    timeline = timeline_of([lane("owner_artifact", slots)], [], zone)

    assert timeline.unit == "day"
    cells = timeline.strips[0].cells
    assert {c.start: c.count for c in cells if c.count} == expected


def test_lanes_media_and_holes_are_facts_of_the_projection():
    lanes = [
        lane("device_sync", {"2024-05-01T12": 2, "2024-05-06T12": 1}),
        lane("owner_artifact", {"2024-05-01T09": 4}, media=["2024-05-01T09"]),
    ]
    timeline = timeline_of(lanes, [{"start": "2024-05-02", "end": "2024-05-05", "days": 4}], UTC)

    assert [s.label for s in timeline.strips] == ["Export", "Phone"]
    export, phone = timeline.strips
    assert export.cells[0].media_missing and not phone.cells[0].media_missing
    assert [c.hole for c in phone.cells] == [False, True, True, True, True, False]
    assert timeline.labels[0] == "1 May 2024"
    assert timeline.first_days[0] == date(2024, 5, 1) and timeline.first_days[1] is None


def test_a_long_span_is_drawn_in_months():
    slots = {f"{year}-{month:02d}-01T12": 1 for year in range(2015, 2025) for month in range(1, 13)}
    timeline = timeline_of([lane("owner_artifact", slots)], [], UTC)

    assert timeline.unit == "month"
    assert len(timeline.labels) == 120 and timeline.strips[0].total == 120


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 20])
def test_the_loader_gives_the_timeline_in_the_same_queries(count, owner, django_assert_max_num_queries):
    scenarios = [s for s, _ in SCENARIOS.values()]
    for i in range(count):
        scenario = scenarios[i % len(scenarios)]
        scenario.name = f"{scenario.name.split('-n')[0]}-n{i}"
        scenario.save(owner)
    with django_assert_max_num_queries(5):
        healths = load_health(Connection.objects.for_owner(owner), now=NOW, timeline=True)
    assert len(healths) == count
    assert load_health(Connection.objects.for_owner(owner), now=NOW)[0].coverage.timeline is None


def test_no_lanes_no_timeline():
    assert timeline_of([], [], UTC) is None
    assert timeline_of([lane("owner_artifact", {})], [], UTC) is None


@pytest.mark.django_db
def test_one_sources_api_answer_and_health_json_carry_the_timeline_its_page_draws(owner, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    scenario = next(s for s, _ in SCENARIOS.values() if any(lane.get("day_counts") for lane in s.lanes))
    conn = scenario.save(owner)
    page = health_json(load_one(conn, now=NOW, timeline=True))
    assert page["coverage"]["timeline"], "the scenario has lanes, so its page draws a timeline"
    _, secret = issue_access_token(owner)
    api = client.get(f"/api/owner/connections/{conn.slug}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    out = StringIO()
    call_command("health", conn.slug, "--owner", owner.username, "--json", stdout=out)
    assert api["coverage"]["timeline"] == page["coverage"]["timeline"] == json.loads(out.getvalue())["coverage"]["timeline"]
    listed = client.get("/api/owner/connections", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert [c["coverage"]["timeline"] for c in listed] == [None]  # the list stays light
