"""Migration 0022: a connection's holes are cut again so each keeps the instants it is empty
between; an owner who moved zone after the import then sees every wholly quiet day of the new
zone in the gap (the tester's Timeline: imported in UTC, read in Auckland)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from connections.services import add_connection
from coverage.days import owner_gaps
from coverage.evidence import load_one
from coverage.models import CoverageSummary
from coverage.pipeline import preview_artifact, start_commit
from tests.coverage.conftest import migrate_to
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("immediate_tasks")]

BEFORE = ("coverage", "0021_batch_new_range")


def points(first: datetime, hours: int) -> list[dict]:
    return [{"latitudeE7": 387200000, "longitudeE7": -91400000,
             "timestamp": (first + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")} for h in range(hours)]


def test_holes_kept_by_their_days_alone_learn_their_instants_and_read_exactly_in_a_new_zone(owner, back_to_latest):
    profile = OwnerProfileFactory(owner=owner, time_zone="UTC")
    timeline = add_connection(owner, "google_timeline", "my-timeline", "My Timeline")
    quiet_from = datetime(2024, 10, 27, 8, 20, tzinfo=UTC)  # the last point before six quiet days
    data = points(quiet_from - timedelta(hours=47), 48) + points(datetime(2024, 11, 2, 10, 30, tzinfo=UTC), 24)
    start_commit(preview_artifact(timeline, io.BytesIO(json.dumps({"locations": data}).encode()), "Records.json"))
    summary = CoverageSummary.objects.get(connection=timeline)
    summary.holes = [{k: v for k, v in hole.items() if k not in ("from", "until")} for hole in summary.holes]  # as kept before
    summary.save()
    profile.time_zone = "Pacific/Auckland"
    profile.save()
    assert [(g.start, g.end) for g in load_one(timeline).coverage.gaps] == [("2024-10-29", "2024-11-01")]

    migrate_to(BEFORE)
    call_command("migrate", verbosity=0)

    assert [(g.start, g.end, g.days) for g in load_one(timeline).coverage.gaps] == [("2024-10-28", "2024-11-01", 5)]
    kept = CoverageSummary.objects.get(connection=timeline).holes
    assert [(h["from"], h["until"]) for h in kept] == [("2024-10-27T09:00:00+00:00", "2024-11-02T10:00:00+00:00")]
    assert owner_gaps(kept, None) == [("2024-10-28", "2024-11-01", 5)]  # its days, now in Auckland
