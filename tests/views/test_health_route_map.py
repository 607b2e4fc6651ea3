"""Ana's morning run shows on the map of its day: the route file in her export.zip is read.

Her export.zip holds ``workout-routes/route_2024-05-01_7.30am.gpx``, the route of her run at 07:30
in Berlin. Before, the file was only found (the workout's media "attached") and never read: the
day page had no map and the workout said ``route_points: 0``. Now its points land as route
points of the run, the day page draws them, and importing the same export again adds nothing.
"""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest

from connections.services import add_connection
from coverage.models import AcquisitionBatch
from coverage.pipeline import preview_artifact, start_commit
from tests.factories import OwnerProfileFactory

from .conftest import export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def _upload(health) -> AcquisitionBatch:
    data = export("apple_health/export.zip").read_bytes()
    batch = start_commit(preview_artifact(health, BytesIO(data), "export.zip"))
    batch.refresh_from_db()
    return batch


def _day_map(owner_client, day: str) -> dict | None:
    page = owner_client.get(f"/sources/health/days/{day}/").content.decode()
    found = re.search(r'<script id="day-map-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1)) if found else None


def test_the_route_of_a_run_is_drawn_on_the_map_of_its_day(owner, owner_client):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "Health")

    batch = _upload(health)

    assert batch.status == AcquisitionBatch.Status.COMMITTED
    day_map = _day_map(owner_client, "2024-05-01")
    assert day_map is not None and len(day_map["points"]) == 20
    assert day_map["points"][0] == {"lat": 52.52, "lon": 13.405, "time": "07:30 CEST", "label": ""}
    run = health.records.get(stream="workouts", payload__type="HKWorkoutActivityTypeRunning")
    assert run.payload["route_points"] == 20
    assert set(health.records.filter(stream="workout_routes").values_list("payload__workout_key", flat=True)) == {
        run.key
    }
    assert _day_map(owner_client, "2024-05-02") is None  # the evening ride names no route file

    again = _upload(health)
    assert again.status == AcquisitionBatch.Status.DUPLICATE  # the same file: nothing new
    assert health.records.filter(stream="workout_routes").count() == 20
