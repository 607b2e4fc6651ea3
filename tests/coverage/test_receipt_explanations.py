"""Each count on a receipt comes with one line saying what it means, the same on the page, the CLI and the API."""

from __future__ import annotations

import html
import re
import zipfile
from datetime import UTC, datetime
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command

from coverage.evidence import load_one
from coverage.models import AcquisitionBatch
from coverage.pipeline import preview_artifact, start_commit
from coverage.receipt_words import WORDS
from tests.coverage.conftest import fixture_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "artifact_root")]


def _preview(connection, name: str) -> AcquisitionBatch:
    with fixture_path(connection.connector, name).open("rb") as source:
        return preview_artifact(connection, source, name)


def _imported(connection, name: str) -> AcquisitionBatch:
    batch = start_commit(_preview(connection, name))
    batch.refresh_from_db()
    return batch


def _lines(client, batch) -> dict[str, dict]:
    body = client.get(f"/api/owner/batches/{batch.pk}").json()
    return {line["count"]: line for line in body["explanations"]}


def test_a_chat_receipt_explains_each_count_in_one_line_on_the_page_the_cli_and_the_api(
    make_connection, client, owner
):
    chat = make_connection("whatsapp")
    batch = _imported(chat, "android_dayfirst_24h.txt")
    client.force_login(owner)
    assert batch.count_skipped and batch.media_omitted

    lines = _lines(client, batch)

    assert list(lines) == ["accepted", "duplicate_earlier", "parsed", "skipped", "failed", "media_attached",
                           "media_omitted"]
    assert lines["accepted"]["value"] == batch.count_accepted
    assert lines["skipped"]["label"] == "Notices skipped"
    notices = batch.count_skipped
    assert lines["skipped"]["text"] == (
        f"{notices} {'notice was' if notices == 1 else 'notices were'} WhatsApp's own "
        f"{'line' if notices == 1 else 'lines'} (the encryption notice, security-code and group changes), "
        f"not written by anyone: skipped, and {'it does' if notices == 1 else 'they do'} not move the chat's dates."
    )
    assert "deleted messages, calls" in lines["parsed"]["text"]
    assert lines["media_omitted"]["text"].startswith(f"{batch.media_omitted} media file")
    assert "export was made without media" in lines["media_omitted"]["text"]

    page = client.get(f"/receipts/{batch.pk}/").content.decode()
    out = StringIO()
    call_command("receipt", str(batch.pk), stdout=out)
    for line in lines.values():
        assert line["text"].replace("'", "&#x27;") in page, line
        assert line["text"] in out.getvalue(), line
    size = batch.artifact_bytes / 1024
    assert f"android_dayfirst_24h.txt  {size:.1f} KB  sha256 " in out.getvalue()  # the file's size as on the page


def test_a_gpx_receipt_says_points_without_a_time_were_skipped_not_notices(make_connection, client, owner):
    route = make_connection("gpx")
    batch = _imported(route, "mixed.gpx")
    client.force_login(owner)
    assert batch.count_skipped

    page = client.get(f"/receipts/{batch.pk}/").content.decode()

    assert "notices" not in page
    assert '<tr><th scope="row">Points without a time</th>' in page
    assert "no time, so" in page and "cannot be placed on a day" in page


def test_a_health_receipt_speaks_of_workout_routes_not_of_a_chat(make_connection, client, owner):
    health = make_connection("apple_health")
    batch = _imported(health, "export_missing_route.zip")
    client.force_login(owner)
    assert batch.media_missing

    lines = _lines(client, batch)

    assert lines["media_missing"]["label"] == "Routes not in the zip"
    assert lines["media_missing"]["text"].endswith(
        "named by the workouts but was not in the zip; the workouts are kept, and uploading the whole export.zip "
        "adds the routes."
    )
    assert "chat" not in " ".join(line["text"] for line in lines.values())


SOON_AFTER = {"apple_health": datetime(2024, 5, 5, 12, tzinfo=UTC), "whatsapp": datetime(2023, 3, 15, 12, tzinfo=UTC)}
HEALTH_ROUTES = ("Upload the whole export.zip from the Health app (Profile › Export All Health Data) to add the "
                 "workout routes.")


@pytest.mark.parametrize(("connector", "name", "next_step", "files"), [
    # The Health app has no "with media" choice: its routes come with the whole export.zip. A route is a route
    # on the card too (tester, session 20: "Media missing · 1 of 2 media files", "Add the missing media").
    ("apple_health", "export_missing_route.zip", HEALTH_ROUTES,
     ("workout route", "Add the missing routes")),
    ("whatsapp", "ios_missing_media.zip", "Export again with media included to add the missing files.",
     ("media file", "Add the missing media")),
])
def test_missing_files_are_asked_for_in_the_sources_own_words(make_connection, client, owner, time_machine,
                                                              connector, name, next_step, files):
    time_machine.move_to(SOON_AFTER[connector], tick=False)  # nothing is stale: the missing files come first
    source = make_connection(connector)
    batch = _imported(source, name)
    client.force_login(owner)
    assert batch.media_missing

    receipt = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/receipts/{batch.pk}/")
                                                          .content.decode())))
    card = load_one(source)

    assert next_step in receipt
    assert card.advisories[0].kind == "missing_media"
    assert card.verdict.forward == next_step
    noun, button = files
    assert re.fullmatch(rf"\d+ of \d+ {noun}s? (was|were) not included\.", card.advisories[0].detail)
    assert button in [a.label for a in card.actions] and button in receipt


@pytest.mark.parametrize(("name", "label", "said"), [
    ("WhatsApp Chat - Lisbon Trip.zip", "Media not in the zip",
     "1 media file is mentioned in the chat but was not in the zip; the messages are kept, and uploading the export "
     "with its media adds the files."),
    # Ana uploads only the chat's text: there was no zip for its 3 files to be missing from.
    ("WhatsApp Chat - Lisbon Trip.txt", "Media not uploaded",
     "3 media files are mentioned in the chat but were not uploaded with it (a .txt export carries no media: export "
     "the chat with media as a .zip to include them); the messages are kept."),
])
def test_a_chat_says_where_its_missing_media_were_not(make_connection, client, owner, name, label, said):
    chat = make_connection("whatsapp")
    data = fixture_path("whatsapp", "ios_missing_media.zip").read_bytes()
    if name.endswith(".txt"):
        data = zipfile.ZipFile(BytesIO(data)).read("_chat.txt")
    batch = start_commit(preview_artifact(chat, BytesIO(data), name))
    batch.refresh_from_db()
    client.force_login(owner)

    missing = _lines(client, batch)["media_missing"]

    assert (missing["label"], missing["text"]) == (label, said)


def test_a_preview_says_what_would_be_new_and_repeats_inside_the_file_apart(make_connection, client, owner):
    timeline = make_connection("google_timeline")
    _imported(timeline, "records.json")
    batch = _preview(timeline, "takeout.zip")
    client.force_login(owner)

    lines = _lines(client, batch)

    assert lines["accepted_preview"]["text"].endswith("would be added if you import.")
    assert lines["duplicate_earlier"]["text"].startswith("29 places were already in this source")
    assert lines["duplicate_in_file"]["text"] == "4 places appear more than once in this file; each is kept once."


def test_every_count_has_a_line_for_any_source():
    assert set(WORDS) == {"parsed", "accepted", "accepted_preview", "duplicate_earlier", "duplicate_in_file",
                          "skipped", "failed", "media_attached", "media_missing", "media_omitted"}
    assert all("*" in row for row in WORDS.values())


def test_the_receipt_schema_documents_the_explanations(client, owner):
    client.force_login(owner)
    schema = client.get("/api/owner/openapi.json").json()
    receipt = schema["components"]["schemas"]["Receipt"]
    assert "explanations" in receipt["properties"]
    assert "duplicate_split" in receipt["properties"] and "counts" in receipt["properties"]


def test_a_bare_export_xml_says_its_routes_were_not_uploaded_not_that_a_zip_lacked_them(
        make_connection, client, owner, tmp_path):
    """Tester's fault (session 20): export.xml uploaded alone read "not in the zip" although there was no zip."""
    health = make_connection("apple_health")
    with zipfile.ZipFile(fixture_path("apple_health", "export_missing_route.zip")) as zf:
        xml = zf.read("apple_health_export/export.xml")
    batch = start_commit(preview_artifact(health, BytesIO(xml), "export.xml"))
    batch.refresh_from_db()
    client.force_login(owner)
    assert batch.media_missing

    line = _lines(client, batch)["media_missing"]
    assert line["label"] == "Routes not uploaded"
    assert "not uploaded with them (export.xml alone carries no routes: upload the whole export.zip" in line["text"]
    assert "zip;" not in line["text"] and "not in the zip" not in line["text"]
