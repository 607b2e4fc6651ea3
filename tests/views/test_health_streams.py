"""Apple Health coverage per stream (issue 13): a stream that stopped early is visible. The watch's
workouts end in March while the phone's samples run to December: one range for the whole export
would hide that; the projection and the source page say it per stream.

The export goes through the real pipeline (preview, commit, landing) and the page is rendered.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from connections.services import add_connection
from coverage.evidence import load_one
from coverage.models import LaneSummary
from coverage.pipeline import preview_artifact, start_commit
from coverage.pipeline.recount import recount_summaries
from tests.factories import OwnerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def _sample(month: int, day: int) -> str:
    at = f"2024-{month:02d}-{day:02d} 09:00:00 +0100"
    return (f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" sourceVersion="17.4" unit="count" '
            f'creationDate="{at}" startDate="{at}" endDate="{at}" value="{1000 + month}"/>\n')


def _workout(month: int, day: int) -> str:
    start, end = f"2024-{month:02d}-{day:02d} 18:00:00 +0100", f"2024-{month:02d}-{day:02d} 18:40:00 +0100"
    return (' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="40" durationUnit="min" '
            f'sourceName="Watch" sourceVersion="10.4" creationDate="{end}" startDate="{start}" endDate="{end}"/>\n')


def health_export() -> io.BytesIO:
    body = [_sample(m, 1) for m in range(1, 13)] + [_sample(12, 1 + d) for d in range(1, 3)]
    body += [_workout(1, 10), _workout(2, 10), _workout(3, 3)]
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
           ' <ExportDate value="2024-12-04 08:10:05 +0100"/>\n' + "".join(body) + "</HealthData>\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("apple_health_export/export.xml", xml.encode())
    buf.seek(0)
    return buf


def test_workouts_that_stopped_in_march_show_next_to_samples_that_run_to_december(owner, owner_client):
    OwnerProfileFactory(owner=owner, time_zone="Europe/Berlin")
    health = add_connection(owner, "apple_health", "health", "My health")
    start_commit(preview_artifact(health, health_export(), "export.zip"))

    coverage = load_one(health, timeline=True).coverage
    by_stream = {s.stream: s for s in coverage.streams}
    assert set(by_stream) == {"samples", "workouts"}
    assert by_stream["workouts"].record_count == 3 and by_stream["samples"].record_count == 14
    assert by_stream["workouts"].text == "Workouts: 10 Jan 2024 to 3 Mar 2024 · 3 workouts"
    assert by_stream["samples"].text == "Samples: 1 Jan 2024 to 3 Dec 2024 · 14 samples"
    assert coverage.streams_text == "Workouts end 3 Mar 2024; samples run to 3 Dec 2024."
    strips = {s.label: s.total for s in coverage.timeline.strips}
    assert strips == {"Export": 17, "Samples": 14, "Workouts": 3}

    page = owner_client.get(f"/sources/{health.slug}/").content.decode()
    assert "Workouts end 3 Mar 2024; samples run to 3 Dec 2024." in page
    assert "Workouts: 10 Jan 2024 to 3 Mar 2024 · 3 workouts" in page
    assert ">Workouts</text>" in page and ">Samples</text>" in page  # a timeline strip per stream

    # The dashboard's projection does not read the per-slot counts: no streams there.
    assert load_one(health).coverage.streams == ()


def test_counting_the_summaries_again_keeps_each_streams_slots(owner):
    """Undo and re-read count the lane summaries again from the records: the same slots, per stream too."""
    health = add_connection(owner, "apple_health", "health", "My health")
    batch = start_commit(preview_artifact(health, health_export(), "export.zip"))
    before = LaneSummary.objects.get(connection=health)

    recount_summaries(health, batch, batch.committed_at)

    after = LaneSummary.objects.get(connection=health)
    assert after.day_counts == before.day_counts and after.records == before.records == 17
    assert any(key.endswith("~workouts") for key in after.day_counts)


def test_a_chat_has_one_stream_and_no_stream_lines(owner, owner_client):
    chat = add_connection(owner, "whatsapp", "chat", "Chat")
    text = "20/11/2023, 10:00 - Ana: Hello\n21/11/2023, 11:00 - Ben: Hi\n"
    start_commit(preview_artifact(chat, io.BytesIO(text.encode()), "WhatsApp Chat with Ben.txt"))

    coverage = load_one(chat, timeline=True).coverage
    assert coverage.streams == () and coverage.streams_text == ""
    assert [s.label for s in coverage.timeline.strips] == ["Export"]
