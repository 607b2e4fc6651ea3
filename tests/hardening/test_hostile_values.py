"""Hostile values inside otherwise good input: NUL bytes, lone surrogates, endless text.

PostgreSQL's text and jsonb types refuse NUL (``\\x00``, ``\\u0000``) and every UTF-8
encoder refuses a lone surrogate, so such a value used to end in a 500 (and a phone that
retries into it for ever). Each scenario goes through the real entry (the owner API, the
push endpoints, a pull from a local HTTP server) and checks what was answered and stored:
the value is kept with the bad character replaced by U+FFFD, the same on SQLite and
PostgreSQL, and a second delivery of the same input is recognised as the same record.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from werkzeug import Response

from connections.connectors.base import (
    MAX_KEY_CHARS,
    MAX_TEXT_CHARS,
    REPLACEMENT,
    BatchFacts,
    ParsedRecord,
    clean_key,
    clean_text,
    clean_value,
    payload_json,
)
from connections.models import CollectionRun
from connections.services import add_connection
from connections.tokens import issue_device_token
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline.pull import pull

pytestmark = [pytest.mark.django_db]
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"
FEED_PATH = "/cal/private-0123456789abcdef/hostile.ics"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}


@pytest.fixture
def api(client, owner):
    client.force_login(owner)
    client.raise_request_exception = False  # a server error is answered 500, as a real server would
    return client


@pytest.fixture
def phone(owner):
    return add_connection(owner, "owntracks", "my-phone", "My phone")


@pytest.fixture
def phone_token(phone) -> str:
    return issue_device_token(phone)[1]


def _upload(api, slug: str, name: str, data: bytes):
    return api.post(f"/api/owner/connections/{slug}/previews", {"file": SimpleUploadedFile(name, data)})


def _import(api, slug: str, name: str, data: bytes) -> dict:
    """Upload and commit; returns the committed receipt (fails the test on any 5xx)."""
    preview = _upload(api, slug, name, data)
    assert preview.status_code < 500, preview.content[:300]
    assert preview.status_code == 201, preview.json()
    committed = api.post(f"/api/owner/previews/{preview.json()['batch_id']}/commit")
    assert committed.status_code < 500, committed.content[:300]
    assert committed.status_code == 200, committed.json()
    return committed.json()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ---------------------------------------------------------------- the scenarios of the issue


def test_a_chat_holding_a_nul_byte_imports_with_the_nul_replaced(api, owner):
    add_connection(owner, "whatsapp", "family-chat", "Family chat")
    chat = (
        b"12/03/2023, 09:15 - Ana: hel\x00lo\n"
        b"12/03/2023, 09:16 - B\x00en: hi\n"
        b"13/03/2023, 21:40 - Ana: bye\n"
    )

    receipt = _import(api, "family-chat", "WhatsApp Chat with Ana.txt", chat)

    assert receipt["counts"]["accepted"] == 3
    stored = {(r.payload["author"], r.payload["text"]) for r in Record.objects.all()}
    assert stored == {("Ana", f"hel{REPLACEMENT}lo"), (f"B{REPLACEMENT}en", "hi"), ("Ana", "bye")}
    again = _upload(api, "family-chat", "WhatsApp Chat with Ana (1).txt", chat + b"14/03/2023, 08:00 - Ana: new\n")
    assert again.json()["counts"]["accepted"] == 1  # cleaning is deterministic: the same keys again


def test_an_owntracks_push_holding_a_lone_surrogate_is_accepted_once(client, phone, phone_token):
    client.raise_request_exception = False
    body = '{"_type": "location", "lat": 52.52, "lon": 13.405, "tst": 1767225600, "tid": "A\\ud800", "t": "\\udfff"}'
    auth = {"HTTP_AUTHORIZATION": _basic("ada", phone_token)}

    first = client.post("/ingest/owntracks", body, content_type="application/json", **auth)
    retry = client.post("/ingest/owntracks", body, content_type="application/json", **auth)

    assert (first.status_code, retry.status_code) == (200, 200), first.content[:300]
    record = Record.objects.get(connection=phone)
    assert (record.payload["tracker"], record.payload["trigger"]) == (f"A{REPLACEMENT}", REPLACEMENT)
    assert AcquisitionBatch.objects.get(connection=phone).count_duplicate == 1  # the retry is the same point


def test_an_overland_push_holding_a_lone_surrogate_is_accepted(client, phone, phone_token):
    client.raise_request_exception = False
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.405, 52.52]},
               "properties": {"timestamp": "2026-01-01T00:00:00Z", "device_id": "phone\ud800",
                              "motion": ["walking\x00\udc00"]}}
    body = json.dumps({"locations": [feature]})  # ensure_ascii: the surrogate travels as \\ud800

    response = client.post("/ingest/overland", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {phone_token}")

    assert response.status_code == 200, response.content[:300]
    assert response.json() == {"result": "ok"}
    record = Record.objects.get(connection=phone)
    assert record.payload["device"] == f"phone{REPLACEMENT}"
    assert "\x00" not in record.payload["motion"] and REPLACEMENT in record.payload["motion"]


def test_a_timeline_export_holding_nul_and_surrogate_escapes_imports(api, owner):
    add_connection(owner, "google_timeline", "timeline", "Timeline")
    export = {"semanticSegments": [{
        "startTime": "2024-05-01T08:00:00.000+02:00", "endTime": "2024-05-01T09:00:00.000+02:00",
        "visit": {"topCandidate": {"placeId": "pl\u0000ace\ud800", "semanticType": "HO\udbffME",
                                   "placeLocation": {"latLng": "52.52°, 13.405°"}}},
    }]}
    data = json.dumps(export).encode()  # the NUL and surrogates travel as JSON escapes

    receipt = _import(api, "timeline", "Timeline.json", data)

    assert receipt["counts"]["accepted"] == 1
    payload = Record.objects.get().payload
    assert "\x00" not in json.dumps(payload)
    assert all(not (0xD800 <= ord(ch) <= 0xDFFF) for ch in json.dumps(payload, ensure_ascii=False))


def test_a_calendar_event_whose_uid_holds_a_nul_is_stored_and_pulled_again_as_the_same(owner, httpserver, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]  # the local test server is the feed
    calendar = add_connection(owner, "ical_feed", "work-calendar", "Work calendar",
                              feed_url=httpserver.url_for(FEED_PATH))
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:meet\x00ing@example.com\r\n"
        b"DTSTART;TZID=Nowhere/Zo\x00ne:20240603T090000\r\nSUMMARY:Plan\x00ning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    httpserver.expect_request(FEED_PATH).respond_with_handler(
        lambda request: Response(body, content_type="text/calendar; charset=utf-8"))

    first = pull(calendar)
    second = pull(calendar)

    assert (first.outcome, second.outcome) == (CollectionRun.Outcome.SUCCESS, CollectionRun.Outcome.SUCCESS)
    record = Record.objects.get(connection=calendar)
    assert record.key == f"meet{REPLACEMENT}ing@example.com"
    assert record.payload["summary"] in ("Planning", f"Plan{REPLACEMENT}ning")
    warnings = [w["detail"] for b in AcquisitionBatch.objects.filter(connection=calendar) for w in b.warnings]
    assert warnings and all("\x00" not in w for w in warnings)  # the unknown zone, named safely


# ---------------------------------------------------------------- the cleaning itself


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain", "plain"),
        ("a\x00b", f"a{REPLACEMENT}b"),
        ("\ud800x\udfff", f"{REPLACEMENT}x{REPLACEMENT}"),
        ("emoji 😀 stays", "emoji 😀 stays"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
    ],
)
def test_text_is_cleaned_the_same_way_every_time(raw, clean):
    assert clean_text(raw) == clean
    assert clean_text(clean_text(raw)) == clean


def test_over_long_text_is_cut_at_the_stated_length():
    assert len(clean_text("x" * (MAX_TEXT_CHARS + 10))) == MAX_TEXT_CHARS
    payload = clean_value({"text": "y" * (MAX_TEXT_CHARS * 2), "n": 1})
    assert len(payload["text"]) == MAX_TEXT_CHARS and payload["n"] == 1


def test_an_over_long_key_becomes_a_stable_digest_that_keeps_distinct_keys_apart():
    long_a, long_b = "k" * 500 + "a", "k" * 500 + "b"
    assert len(clean_key(long_a)) <= MAX_KEY_CHARS
    assert clean_key(long_a) == clean_key(long_a) != clean_key(long_b)
    assert clean_key("1714550400:52.52000:13.40500") == "1714550400:52.52000:13.40500"


def test_payload_json_cleans_keys_values_and_numbers_beyond_json():
    text = payload_json({"na\x00me": ["\ud800", {"deep": "\x00"}], "big": 10**30, "ok": 1.5})
    data = json.loads(text)
    assert data == {f"na{REPLACEMENT}me": [REPLACEMENT, {"deep": REPLACEMENT}], "big": str(10**30), "ok": 1.5}


def test_warnings_hold_no_nul_or_surrogates():
    facts = BatchFacts()
    facts.warn("odd", "bad \x00 value \ud800", "line \x00 1")
    assert facts.warnings[0].as_dict() == {
        "kind": "odd", "detail": f"bad {REPLACEMENT} value {REPLACEMENT}", "position": f"line {REPLACEMENT} 1"}


def test_a_clean_record_is_passed_through_untouched():
    record = ParsedRecord("messages", "k1", datetime(2024, 1, 1, tzinfo=UTC), {"text": "hi"})
    assert payload_json(record.payload) == '{"text":"hi"}'
    assert clean_key(record.key) is record.key
