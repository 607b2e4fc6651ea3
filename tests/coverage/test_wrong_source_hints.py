"""A file uploaded to the wrong kind of source: the rejection names what the file is and
points to the source that takes it, through the real pipeline, receipt and page."""

from __future__ import annotations

import pytest

from connections.connectors import sniff
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import preview_artifact
from coverage.receipts import build_receipt
from coverage.serializers import receipt_json
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]

TIMELINE = "This is a Google Timeline export: add a Google Maps Timeline source to import it."
GPX = "This is a GPX track: add a GPS tracks source to import it."
HEALTH = "This is an Apple Health export: add an Apple Health source to import it."
CHAT = "This is a WhatsApp chat export: add a WhatsApp source to import it."

# (uploaded to, fixture folder, file, the sentence, the connector that takes it)
PAIRS = [
    ("whatsapp", "google_timeline", "records.json", TIMELINE, "google_timeline"),
    ("whatsapp", "google_timeline", "takeout.zip", TIMELINE, "google_timeline"),
    ("whatsapp", "apple_health", "export.zip", HEALTH, "apple_health"),
    ("whatsapp", "gpx", "strava.gpx", GPX, "gpx"),
    ("google_timeline", "gpx", "strava.gpx", GPX, "gpx"),
    ("google_timeline", "apple_health", "export.zip", HEALTH, "apple_health"),
    ("google_timeline", "whatsapp", "android_dayfirst_24h.txt", CHAT, "whatsapp"),
    ("google_timeline", "whatsapp", "ios_12h_media.zip", CHAT, "whatsapp"),
    ("apple_health", "google_timeline", "takeout.zip", TIMELINE, "google_timeline"),
    ("apple_health", "gpx", "strava_archive.zip", GPX, "gpx"),
    ("gpx", "google_timeline", "Zeitachse.json", TIMELINE, "google_timeline"),
    ("gpx", "whatsapp", "android_dayfirst_24h.txt", CHAT, "whatsapp"),
]


def preview(connection, folder: str, name: str) -> AcquisitionBatch:
    with fixture_path(folder, name).open("rb") as source:
        return preview_artifact(connection, source, name)


def receipt(batch: AcquisitionBatch):
    return build_receipt(AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk))


@pytest.mark.parametrize(
    ("target", "folder", "name", "sentence", "takes"), PAIRS, ids=[f"{p[2]}_to_{p[0]}" for p in PAIRS]
)
def test_a_file_for_another_source_says_what_it_is_and_where_it_goes(
    make_connection, target, folder, name, sentence, takes
):
    connection = make_connection(target)

    batch = preview(connection, folder, name)

    r = receipt(batch)
    assert r.status == "rejected" and r.reject_reason == "wrong_source"
    # The sentence alone: no steps to export this source's kind of file, which would contradict it.
    assert r.sentence == f"This file could not be imported: {sentence}"
    assert r.other_source is not None
    assert (r.other_source.connector, r.other_source.url) == (takes, f"/sources/new/{takes}/")
    assert r.other_source.label == "Add " + sentence.split(": add ", 1)[1].removesuffix(" to import it.")
    assert receipt_json(r)["other_source"]["connector"] == takes
    assert Record.objects.count() == 0


@pytest.mark.parametrize(
    ("target", "folder", "name", "sentence", "takes"), PAIRS, ids=[f"{p[2]}_to_{p[0]}" for p in PAIRS]
)
def test_the_next_step_for_a_file_of_another_source_is_adding_that_source_not_a_newer_export(
    make_connection, target, folder, name, sentence, takes
):
    r = receipt(preview(make_connection(target), folder, name))

    step = receipt_json(r)["next_action"]
    assert step["kind"] == "add_source" and step["label"] == r.other_source.label
    assert step["detail"] == f"{r.other_source.label}, then upload this file to it."
    assert "export" not in (step["label"] + step["detail"]).lower()  # no "Upload a newer export"


def test_a_file_of_no_known_kind_gets_no_hint(make_connection):
    chat = make_connection("whatsapp")

    r = receipt(preview(chat, "google_timeline", "wrong_source.json"))  # {"messages": []}

    assert r.status == "rejected" and r.other_source is None
    assert "add a" not in r.sentence
    assert r.next_action.kind == "re_export"  # the chat may be exported again: the next step stays that


def test_the_receipt_page_links_to_the_source_that_takes_the_file(make_connection, client, owner):
    chat = make_connection("whatsapp")
    batch = preview(chat, "apple_health", "export.zip")
    client.force_login(owner)

    text = client.get(f"/receipts/{batch.pk}/").content.decode()

    assert HEALTH in text
    assert 'href="/sources/new/apple_health/"' in text
    assert "Add an Apple Health source" in text


@pytest.mark.parametrize(
    ("folder", "name", "kind"),
    [
        ("apple_health", "export.zip", "apple_health"),  # holds GPX routes too: Health first
        ("gpx", "apple_health_export.zip", "apple_health"),
        ("google_timeline", "semantic_2023_AUGUST.json", "google_timeline"),
        ("google_timeline", "ondevice_ios.json", "google_timeline"),
        ("gpx", "no_namespace.gpx", "gpx"),
        ("whatsapp", "ambiguous.txt", "whatsapp"),
        ("google_timeline", "not_json.json", None),
        ("gpx", "not_gpx.kml", None),
        ("apple_health", "not_health.zip", None),
        ("apple_health", "entity_bomb.xml", None),
        ("ical", "calendar.ics", None),
    ],
)
def test_sniffing_names_each_kind_by_its_own_detection(folder, name, kind):
    assert sniff.identify(fixture_path(folder, name)) == kind
