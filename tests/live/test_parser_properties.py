"""Arbitrary input never breaks the live parsers: only their declared refusals come out."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as dj_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connections.connectors.base import (
    MAX_TEXT_CHARS,
    Artifact,
    ArtifactRejected,
    BatchFacts,
    Body,
    ParseOptions,
    clean_key,
)
from connections.connectors.ical_feed import parse_calendar
from connections.connectors.owntracks import PayloadRejected, parse_overland, parse_owntracks
from connections.models import CollectionRun
from connections.services import add_connection
from connections.tokens import issue_device_token
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline.pull import pull

HEALTH_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    ' <ExportDate value="2024-06-01 08:10:05 +0200"/>\n'
)

RELAXED = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
location_like = st.fixed_dictionaries(
    {"_type": st.sampled_from(["location", "transition", "card"]), "lat": json_values, "lon": json_values,
     "tst": json_values}
)


@RELAXED
@given(st.binary(max_size=2048))
def test_owntracks_bytes_only_raise_a_payload_refusal(body):
    try:
        records = parse_owntracks(body, BatchFacts())
    except PayloadRejected:
        return
    assert all(r.stream == "locations" for r in records)


@RELAXED
@given(st.one_of(location_like, st.lists(location_like, max_size=5), json_values))
def test_owntracks_json_shapes_are_read_or_refused(value):
    facts = BatchFacts()
    try:
        records = parse_owntracks(json.dumps(value).encode(), facts)
    except PayloadRejected:
        return
    assert len(records) + facts.skipped + facts.failed >= 0
    for record in records:
        assert record.event_at.tzinfo is not None


@RELAXED
@given(st.one_of(st.binary(max_size=2048), json_values.map(lambda v: json.dumps({"locations": v}).encode())))
def test_overland_input_only_raises_a_payload_refusal(body):
    try:
        parse_overland(body, BatchFacts())
    except PayloadRejected:
        pass


calendar_lines = st.lists(
    st.one_of(
        st.sampled_from(["BEGIN:VEVENT", "END:VEVENT", "BEGIN:VALARM", "END:VALARM", "UID:a", "UID:b",
                         "DTSTART:20240101T090000Z", "DTSTART;VALUE=DATE:20240230", "DTSTART;TZID=Nowhere/X:2024",
                         "RECURRENCE-ID:20240102T090000Z", "SUMMARY:x", " folded", "END:VCALENDAR"]),
        st.text(max_size=30),
    ),
    max_size=30,
)


@RELAXED
@given(calendar_lines, st.booleans())
def test_calendar_text_only_raises_a_rejection(lines, with_header):
    text = "\r\n".join((["BEGIN:VCALENDAR"] if with_header else []) + lines)
    try:
        records = list(parse_calendar(text, BatchFacts(), ParseOptions()))
    except ArtifactRejected as exc:
        assert exc.reason == "wrong_source" and exc.detail
        return
    for record in records:
        assert record.stream == "events" and record.event_at.tzinfo is not None


# ---------------------------------------------------------------- hostile values, end to end (issue 16)
#
# Arbitrary Unicode (lone surrogates, NUL, control characters, very long strings) inside
# otherwise well-formed input, through the real entries: the owner API's upload and commit,
# the two push endpoints (Django's test client runs the whole app) and a pull from a local
# HTTP server. Run on SQLite and on PostgreSQL (DATABASE_URL). A scenario passes when nothing
# answers 5xx and nothing is half-written: a refused input leaves no batch, staged row or
# record; an accepted one leaves exactly the records its parser yields (keys as stored).
# Every example uses a new connection, so what it stored is told apart from earlier ones.

E2E = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
long_text = st.sampled_from([("x", 5_000), ("\x00", 3_000), ("\ud800é", 2_000), ("😀", 70_000)]).map(
    lambda unit_times: unit_times[0] * unit_times[1])
hostile_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),  # surrogates (Cs) included
    st.sampled_from(["\x00", "\ud800", "\udfff", "a\udbffb", "\x1b[2J", "\u202e", "\r\n", "\\u0000", ""]),
    long_text,
)
# Past the payload cap: only in artifacts (a push body is at most 2 MB).
very_hostile_text = st.one_of(hostile_text, st.just(MAX_TEXT_CHARS + 7).map(lambda n: "y" * n))


def _encode(text: str, raw: bool) -> bytes:
    """UTF-8; with ``raw``, lone surrogates go in as the (invalid) bytes a careless writer makes."""
    return text.encode("utf-8", "surrogatepass" if raw else "replace")


def _json(value, escaped: bool) -> bytes:
    """JSON bytes: surrogates and NUL as ``\\uXXXX`` escapes, or written raw."""
    return json.dumps(value).encode() if escaped else _encode(json.dumps(value, ensure_ascii=False), True)


def _slug() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def _new_connection(connector: str, **kwargs):
    owner = get_user_model().objects.get_or_create(username="ada")[0]
    return add_connection(owner, connector, _slug(), "Target", **kwargs)


def _expected(parse) -> set[str] | None:
    """The stored keys the parser's own records make, or None when it refuses the input."""
    try:
        return {clean_key(r.key) for r in parse()}
    except (ArtifactRejected, PayloadRejected):
        return None


def _stored(connection) -> set[str]:
    """The connection's stored keys, after checking that nothing stored holds NUL or a lone surrogate."""
    rows = list(Record.objects.filter(connection=connection).values_list("key", "payload"))
    warnings = list(AcquisitionBatch.objects.filter(connection=connection).values_list("warnings", flat=True))
    text = json.dumps([rows, warnings], ensure_ascii=False)
    assert "\x00" not in text and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    assert all(len(key) <= 120 for key, _ in rows)
    return {key for key, _ in rows}


def _staged(batch_id: int) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM coverage_stagedrecord WHERE batch_id = %s", [batch_id])
        return cursor.fetchone()[0]


def _upload_and_commit(client, connector: str, filename: str, data: bytes, tmp: Path) -> None:
    """Upload ``data`` as an export and commit it; check the answers and what was stored."""
    connection = _new_connection(connector)
    path = tmp / filename
    path.write_bytes(data)
    parser = connection.manifest.path("owner_artifact").parser
    options = ParseOptions(time_zone=ZoneInfo(dj_settings.TIME_ZONE), date_order="dmy")
    expected = _expected(lambda: list(parser(Artifact(path, filename), BatchFacts(), options)))

    preview = client.post(f"/api/owner/connections/{connection.slug}/previews",
                          {"file": SimpleUploadedFile(filename, data), "date_order": "dmy"})
    assert preview.status_code < 500, preview.content[:500]
    receipt = preview.json()
    event("refused" if expected is None else "imported")  # --hypothesis-show-statistics shows the mix
    if expected is None:
        assert (preview.status_code, receipt["status"]) == (422, "rejected"), receipt
        assert _staged(receipt["batch_id"]) == 0 and not _stored(connection)
        return
    assert (preview.status_code, receipt["status"]) == (201, "preview"), receipt
    assert receipt["counts"]["accepted"] == len(expected)
    committed = client.post(f"/api/owner/previews/{receipt['batch_id']}/commit")
    assert committed.status_code < 500, committed.content[:500]
    assert (committed.status_code, committed.json()["status"]) == (200, "committed"), committed.json()
    assert _stored(connection) == expected


@pytest.fixture
def api(client, owner, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(owner)
    client.raise_request_exception = False  # a server error is answered 500, as a real server would
    return client


@pytest.mark.django_db
@E2E
@given(st.lists(st.tuples(very_hostile_text, very_hostile_text), min_size=1, max_size=4),
       st.lists(hostile_text, max_size=3), st.booleans())
def test_hostile_chat_text_is_imported_or_refused_never_a_server_error(api, tmp_path, messages, stray, raw):
    lines = [f"1{i}/03/2023, 09:1{i} - {author or 'Ana'}: {text}" for i, (author, text) in enumerate(messages)]
    data = _encode("\n".join(lines + [f"1{len(lines)}/03/2023, 10:00 - Ben: {s}" for s in stray]) + "\n", raw)
    _upload_and_commit(api, "whatsapp", "WhatsApp Chat with Ana.txt", data, tmp_path)


@pytest.mark.django_db
@E2E
@given(st.lists(st.tuples(hostile_text, hostile_text, hostile_text), min_size=1, max_size=3), st.booleans())
def test_hostile_timeline_strings_are_imported_or_refused_never_a_server_error(api, tmp_path, visits, escaped):
    segments = [
        {"startTime": f"2024-05-0{i + 1}T08:00:00.000+02:00", "endTime": f"2024-05-0{i + 1}T09:00:00.000+02:00",
         "visit": {"hierarchyLevel": 0, "probability": 0.9,
                   "topCandidate": {"placeId": place, "semanticType": kind, name: 0.5,
                                    "placeLocation": {"latLng": "52.52°, 13.405°"}}}}
        for i, (place, kind, name) in enumerate(visits)
    ]
    data = _json({"semanticSegments": segments}, escaped)
    _upload_and_commit(api, "google_timeline", "Timeline.json", data, tmp_path)


@pytest.mark.django_db
@E2E
@given(st.lists(st.tuples(hostile_text, hostile_text, hostile_text), min_size=1, max_size=3),
       st.sampled_from(["escaped", "character_references", "raw"]))
def test_hostile_health_attributes_are_imported_or_refused_never_a_server_error(api, tmp_path, samples, how):
    def attr(text: str) -> str:
        if how == "character_references":  # &#0; and &#xD800; are not XML characters
            return "".join(ch if ch.isalnum() and ch.isascii() else f"&#x{ord(ch):X};" for ch in text)
        return quoteattr(text)[1:-1]

    records = "".join(
        f' <Record type="{attr(kind) or "HKQuantityTypeIdentifierStepCount"}" sourceName="{attr(source)}" '
        f'unit="{attr(unit)}" value="5" startDate="2024-05-0{i + 1} 09:00:00 +0200" '
        f'endDate="2024-05-0{i + 1} 09:05:00 +0200"/>\n'
        for i, (kind, source, unit) in enumerate(samples)
    )
    xml = HEALTH_HEADER + records + "</HealthData>\n"
    _upload_and_commit(api, "apple_health", "export.xml", _encode(xml, how == "raw"), tmp_path)


@pytest.mark.django_db
@E2E
@given(st.lists(st.tuples(hostile_text, hostile_text, hostile_text), min_size=1, max_size=3), st.booleans())
def test_hostile_calendar_values_are_pulled_or_refused_never_a_crash(httpserver, settings, events, raw):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = [httpserver.host]  # the local test server is the feed
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0"]
    for i, (uid, summary, zone) in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART;TZID={zone}:2024060{i + 1}T090000",
                  f"SUMMARY:{summary}", f"LOCATION:{zone}{uid}", "END:VEVENT"]
    body = _encode("\r\n".join(lines + ["END:VCALENDAR", ""]), raw)
    path = f"/cal/private-{uuid.uuid4().hex}/hostile.ics"
    httpserver.expect_request(path).respond_with_data(body, content_type="text/calendar; charset=utf-8")
    connection = _new_connection("ical_feed", feed_url=httpserver.url_for(path))
    expected = _expected(lambda: list(parse_calendar(
        Body(body, "utf-8").text(), BatchFacts(), ParseOptions(time_zone=ZoneInfo(dj_settings.TIME_ZONE)))))

    run = pull(connection)
    event("refused" if expected is None else "pulled")

    if expected is None:
        assert run.outcome == CollectionRun.Outcome.FAILURE and not _stored(connection)
        assert not AcquisitionBatch.objects.filter(connection=connection).exists()
    else:
        assert run.outcome == CollectionRun.Outcome.SUCCESS, run.message
        assert _stored(connection) == expected


def _push(client, connector: str, body: bytes, device: str) -> tuple[object, object]:
    """Push ``body`` to a new phone source's endpoint; returns (connection, response)."""
    connection = _new_connection("owntracks")
    token = issue_device_token(connection)[1]
    if connector == "owntracks":
        auth = "Basic " + base64.b64encode(f"ada:{token}".encode()).decode()
        response = client.post(f"/ingest/owntracks?d={quote(device, safe='', errors='replace')}", body,
                               content_type="application/json", HTTP_AUTHORIZATION=auth)
    else:
        response = client.post("/ingest/overland", body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
    return connection, response


def _check_push(connection, response, parse, body: bytes) -> None:
    assert response.status_code < 500, response.content[:500]
    expected = _expected(lambda: parse(body, BatchFacts()))
    event("refused" if expected is None else "accepted")
    if response.status_code != 200:  # refused: by the parser, or before it (a body over 2 MB is 413)
        assert 400 <= response.status_code < 500, response.status_code
        assert expected is None or response.status_code == 413, (response.status_code, expected)
        assert not AcquisitionBatch.objects.filter(connection=connection).exists() and not _stored(connection)
        return
    assert expected is not None and _stored(connection) == expected


hostile_fix = st.fixed_dictionaries(
    {"_type": st.sampled_from(["location", "transition"]), "lat": st.just(52.52), "lon": st.just(13.405),
     # Times a phone's clock can write (2017 to 2025): later ones are left out by the push (``pipeline.push``).
     "tst": st.integers(1_500_000_000, 1_750_000_000)},
    optional={"tid": hostile_text, "t": hostile_text, "acc": st.one_of(st.integers(-(2**70), 2**70), st.just(10**400)),
              "batt": st.one_of(hostile_text, st.floats()), "inregions": st.lists(hostile_text, max_size=2)},
)


@pytest.mark.django_db
@E2E
@given(st.one_of(hostile_fix, st.lists(hostile_fix, max_size=4), st.dictionaries(hostile_text, hostile_text,
                                                                                    max_size=3)),
       st.booleans(), hostile_text)
def test_hostile_owntracks_pushes_are_answered_without_a_server_error(client, value, escaped, device):
    client.raise_request_exception = False
    body = _json(value, escaped)
    connection, response = _push(client, "owntracks", body, device)
    _check_push(connection, response, parse_owntracks, body)


hostile_feature = st.fixed_dictionaries(
    {"type": st.just("Feature"),
     "geometry": st.one_of(st.just({"type": "Point", "coordinates": [13.405, 52.52]}), st.none()),
     "properties": st.fixed_dictionaries(
         {"timestamp": st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:00:01+0100"])},
         optional={"device_id": hostile_text, "motion": st.lists(hostile_text, max_size=2),
                   "wifi": hostile_text, "speed": st.integers(-(2**70), 2**70)})},
)


@pytest.mark.django_db
@E2E
@given(st.lists(hostile_feature, max_size=4), st.booleans())
def test_hostile_overland_pushes_are_answered_without_a_server_error(client, features, escaped):
    client.raise_request_exception = False
    body = _json({"locations": features}, escaped)
    connection, response = _push(client, "overland", body, "")
    _check_push(connection, response, parse_overland, body)
