"""A Timeline export uploaded to a phone source, after the phone pushed some of the same points: the receipt says
they are already in the phone's pushes (before: "already in the import of 2 Mar 2026", as if the pushes were an
upload; the CLI added "(import 13)"), and what the file skipped is said in a file's words, not the app's."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from coverage.models import AcquisitionBatch
from tests.live.test_device_push import fix, push_owntracks
from tests.page_words import page_words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_root", "tasks_now")]
T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def _timeline(points: list[tuple[int, float, float]]) -> bytes:
    """An Android on-device Timeline whose raw signals are ``points`` (epoch second, lat, lon), plus a Wi-Fi scan."""
    signals = [{"position": {"LatLng": f"{lat}°, {lon}°", "timestamp": datetime.fromtimestamp(tst, UTC).isoformat(),
                             "accuracyMeters": 10, "source": "GPS"}} for tst, lat, lon in points]
    signals.append({"wifiScan": {"deliveryTime": "2026-03-02T09:00:00Z", "devicesRecords": []}})
    return json.dumps({"semanticSegments": [], "rawSignals": signals, "userLocationProfile": {}}).encode()


def test_points_the_phone_pushed_are_named_as_its_pushes_on_the_export_receipt(client, owner, phone, phone_token):
    client.force_login(owner)
    pushed = [int(T0.timestamp()) - 600 + 60 * i for i in range(3)]
    with time_machine.travel(T0, tick=False):
        for tst in pushed:
            assert push_owntracks(client, phone_token, fix(tst)).status_code == 200
        body = _timeline([*((tst, 52.52, 13.405) for tst in pushed), (int(T0.timestamp()) + 60, 52.53, 13.41)])
        client.post(f"/sources/{phone.slug}/upload/", {"artifact": SimpleUploadedFile("Zeitachse.json", body)})
        preview = AcquisitionBatch.objects.filter(connection=phone, method="owner_artifact").get()
        said = page_words(client.get(f"/receipts/{preview.pk}/"))
        out = io.StringIO()
        call_command("receipt", str(preview.pk), stdout=out)

    assert "3 already in the phone's pushes of 2 Mar 2026" in said
    assert "the import of 2 Mar 2026" not in said
    held = [line for line in out.getvalue().splitlines() if line.startswith("Held")]
    assert held == [f"Held     3 already in the phone's pushes of 2 Mar 2026 (import {held_batch(phone)})"]
    assert "from the app" not in said and "1 item in the file was skipped: it holds no locations." in said


def held_batch(phone) -> int:
    return AcquisitionBatch.objects.get(connection=phone, method="device_sync").pk


def test_the_coverage_table_counts_a_point_of_both_lanes_once_as_the_card_does(client, owner, phone, phone_token):
    client.force_login(owner)
    pushed = [int(T0.timestamp()) - 600 + 60 * i for i in range(3)]
    with time_machine.travel(T0, tick=False):
        for tst in pushed:
            push_owntracks(client, phone_token, fix(tst))
        body = _timeline([*((tst, 52.52, 13.405) for tst in pushed), (int(T0.timestamp()) + 60, 52.53, 13.41)])
        client.post(f"/sources/{phone.slug}/upload/", {"artifact": SimpleUploadedFile("Zeitachse.json", body)})
        preview = AcquisitionBatch.objects.filter(connection=phone, method="owner_artifact").get()
        client.post(f"/receipts/{preview.pk}/import/")
        page = page_words(client.get(f"/sources/{phone.slug}/"))
    assert "4 locations" in page  # the card: 3 pushed, 1 more from the file
    assert "one cell per day: 4 locations across 2 lanes, 3 of them through more than one." in page


@pytest.fixture
def tasks_now(settings):
    """An import lands inside the request, as if a worker picked it up at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_two_phones_pushing_to_one_source_are_told_apart_on_its_day(client, owner, phone, phone_token):
    """Tester's fault (session 20): points from an OwnTracks phone and an Overland phone interleaved on the day page,
    each "From the phone", with nothing to say which."""
    client.force_login(owner)
    with time_machine.travel(T0, tick=False):
        push_owntracks(client, phone_token, fix(int(T0.timestamp()) - 120), device="pixel")
        overland = client.post("/ingest/overland", json.dumps({"locations": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.5, 52.6]},
             "properties": {"timestamp": "2026-03-02T09:14:00Z", "device_id": "iphone"}}]}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {phone_token}")
        assert overland.status_code == 200
        day = page_words(client.get(f"/sources/{phone.slug}/days/2026-03-02/"))
    assert "Device" in day
    assert "52.52000 13.40500 pixel From the phone" in day and "52.60000 13.50000 iphone From the phone" in day
