"""An Apple Health receipt says how far each stream reaches: a stream that stopped early is visible."""

from __future__ import annotations

from datetime import datetime

import pytest

from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import preview_artifact, start_commit
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]


def _preview(connection, name: str) -> AcquisitionBatch:
    with fixture_path(connection.connector, name).open("rb") as source:
        return preview_artifact(connection, source, name)


def test_a_health_preview_keeps_the_coverage_of_each_stream(make_connection):
    health = make_connection("apple_health")

    batch = _preview(health, "export.zip")
    start_commit(batch)

    batch.refresh_from_db()
    streams = batch.stream_coverage
    assert {"samples", "workouts", "activity_summaries"} <= set(streams)
    for stream, seen in streams.items():
        held = Record.objects.filter(connection=health, stream=stream)
        assert seen["count"] == held.count()
        assert datetime.fromisoformat(seen["earliest"]) == min(held.values_list("event_at", flat=True))
        assert datetime.fromisoformat(seen["latest"]) == max(held.values_list("event_at", flat=True))


def test_the_health_receipt_says_how_far_each_stream_reaches_on_the_page_and_in_the_json(
    make_connection, client, owner
):
    health = make_connection("apple_health")
    batch = start_commit(_preview(health, "export.zip"))
    client.force_login(owner)

    body = client.get(f"/api/owner/batches/{batch.pk}").json()
    page = client.get(f"/receipts/{batch.pk}/").content.decode()

    streams = {s["stream"]: s for s in body["streams"]}
    assert streams["workouts"]["label"] == "Workouts" and streams["samples"]["label"] == "Samples"
    assert streams["workouts"]["count"] == Record.objects.filter(connection=health, stream="workouts").count()
    for line in streams.values():
        assert line["text"].startswith(line["label"] + " ")
        assert line["text"] in page
    assert body["streams_sentence"].startswith(streams[body["streams"][0]["stream"]]["text"] + "; ")
    assert "By stream" in page


def test_a_chat_receipt_with_one_stream_shows_no_stream_lines(make_connection, client, owner):
    chat = make_connection("whatsapp")
    batch = start_commit(_preview(chat, "android_dayfirst_24h.txt"))
    client.force_login(owner)

    body = client.get(f"/api/owner/batches/{batch.pk}").json()

    assert len(body["streams"]) == 1 and body["streams_sentence"] == ""
    assert "By stream" not in client.get(f"/receipts/{batch.pk}/").content.decode()
