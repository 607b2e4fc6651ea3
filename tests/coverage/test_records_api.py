"""An owner (or their script) takes their records out through the owner API: pages or one stream."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

import pytest

from coverage.models import Record, RecordProvenance
from coverage.services import issue_access_token
from tests.factories import BatchFactory, ConnectionFactory, OwnerFactory, OwnerProfileFactory

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def bearer(owner):
    _, secret = issue_access_token(owner, "export script")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def phone(owner):
    return ConnectionFactory(owner=owner, connector="owntracks", slug="phone")


def hold(connection, count: int, *, method="owner_artifact", status="committed", stream="locations", start=0):
    """``count`` records of one batch, one a minute from START + ``start`` minutes."""
    batch = BatchFactory(connection=connection, method=method, status=status)
    Record.objects.bulk_create(
        Record(connection=connection, first_batch=batch, stream=stream, key=f"{1_700_000_000 + 60 * i}:52.5:13.4",
               event_at=START + timedelta(minutes=i), payload={"n": i}, media="")
        for i in range(start, start + count)
    )
    return batch


def test_pages_walk_every_record_once_in_key_order(client, bearer, phone):
    hold(phone, 1_234)
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/owner/connections/phone/records", query, **bearer)
        assert page.status_code == 200 and page["Cache-Control"] == "no-store"
        body = page.json()
        seen += [r["key"] for r in body["records"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 1_234 and seen == sorted(seen)
    first = client.get("/api/owner/connections/phone/records", {"limit": 1}, **bearer).json()["records"][0]
    assert first == {"stream": "locations", "key": "1700000000:52.5:13.4", "event_at": "2026-03-01T00:00:00Z",
                     "payload": {"n": 0}, "media": "", "methods": ["owner_artifact"]}


def test_filters_by_stream_time_and_how_it_arrived(client, bearer, phone):
    export = hold(phone, 100)
    hold(phone, 10, method="device_sync", start=100)
    # The phone also sent the first 5 points the export holds: one record, two deliveries.
    pushed = BatchFactory(connection=phone, method="device_sync")
    for record in Record.objects.filter(first_batch=export).order_by("key")[:5]:
        RecordProvenance.objects.create(record=record, batch=pushed, method="device_sync")

    def keys(**query):
        response = client.get("/api/owner/connections/phone/records", query, **bearer)
        assert response.status_code == 200, response.content
        return response.json()["records"]

    assert len(keys(stream="locations")) == 110
    since = (START + timedelta(minutes=90)).isoformat()
    until = (START + timedelta(minutes=95)).isoformat()
    assert [r["payload"]["n"] for r in keys(since=since, until=until)] == [90, 91, 92, 93, 94]
    # The same instants written with an offset PostgreSQL would refuse (+23:00): same answer.
    far = (START + timedelta(minutes=90)).astimezone(timezone(timedelta(hours=23))).isoformat()
    assert [r["payload"]["n"] for r in keys(since=far, until=until)] == [90, 91, 92, 93, 94]
    assert len(keys(since="0001-01-01T00:00:00-23:00")) == 110
    by_phone = keys(method="device_sync")
    assert len(by_phone) == 15
    assert [r["methods"] for r in by_phone[:5]] == [["owner_artifact", "device_sync"]] * 5


def test_a_batch_still_being_committed_is_not_answered(client, bearer, phone):
    hold(phone, 20)
    hold(phone, 30, status="committing", start=20)
    assert len(client.get("/api/owner/connections/phone/records", **bearer).json()["records"]) == 20


def test_ndjson_streams_every_record_in_flat_memory(client, bearer, phone):
    def streamed(count: int) -> tuple[int, int]:
        Record.objects.all().delete()
        hold(phone, count)
        response = client.get("/api/owner/connections/phone/records", HTTP_ACCEPT="application/x-ndjson", **bearer)
        assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
        tracemalloc.start()
        lines = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            if lines == 1:
                assert json.loads(chunk.split(b"\n")[0])["key"] == "1700000000:52.5:13.4"
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return lines, peak

    small, small_peak = streamed(2_000)
    large, large_peak = streamed(20_000)
    assert (small, large) == (2_000, 20_000)
    assert large_peak < 3 * small_peak  # ten times the records, not ten times the memory


def test_another_owners_source_is_404_and_bad_input_is_refused_in_json(client, bearer, phone):
    ConnectionFactory(owner=OwnerFactory(username="bob"), slug="bobs-phone", connector="owntracks")
    assert client.get("/api/owner/connections/bobs-phone/records", **bearer).status_code == 404
    past_the_end = client.get("/api/owner/connections/phone/records", {"cursor": "locations:zzz"}, **bearer)
    assert past_the_end.status_code == 200 and past_the_end.json() == {"records": [], "next_cursor": None}
    too_many = client.get("/api/owner/connections/phone/records", {"limit": 501}, **bearer)
    assert too_many.status_code == 400 and "limit" in too_many.json()["detail"]
    for name in ("stream", "method", "cursor"):  # NUL: PostgreSQL refused the query, a 500
        nul = client.get("/api/owner/connections/phone/records", {name: "loc\x00ations"}, **bearer)
        assert nul.status_code == 400 and name in nul.json()["detail"]
    assert client.get("/api/owner/connections/phone/records").status_code == 401


# What a script sends that this source (phone locations) does not have, and what it takes instead.
NOT_HELD = [
    ({"stream": "location"}, "stream: give a stream this source holds (locations); “location” is not one."),
    ({"stream": "messages"}, "stream: give a stream this source holds (locations); “messages” is not one."),
    ({"method": "device-sync"},
     "method: give a way this source's records arrive (device_sync or owner_artifact); “device-sync” is not one."),
    ({"cursor": "zzz"}, "cursor: give the next_cursor of the page before; “zzz” is not one."),
    ({"cursor": "locations:"}, "cursor: give the next_cursor of the page before; “locations:” is not one."),
]


@pytest.mark.parametrize("accept", ["application/json", "application/x-ndjson"])
@pytest.mark.parametrize(("query", "message"), NOT_HELD)
def test_a_filter_naming_what_the_source_does_not_have_is_refused_not_answered_empty(client, bearer, phone, accept,
                                                                                     query, message):
    hold(phone, 3)
    response = client.get("/api/owner/connections/phone/records", query, HTTP_ACCEPT=accept, **bearer)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["detail"], body["code"]) == (message, "invalid_values")
    assert body["errors"] == [{"field": next(iter(query)), "message": message}]


def test_the_filters_the_source_has_answer_and_another_kinds_are_refused(client, bearer, phone):
    hold(phone, 3)
    page = client.get("/api/owner/connections/phone/records",
                      {"stream": "locations", "method": "owner_artifact", "limit": 2}, **bearer).json()
    assert len(page["records"]) == 2 and page["next_cursor"] == "locations:1700000060:52.5:13.4"
    rest = client.get("/api/owner/connections/phone/records", {"cursor": page["next_cursor"]}, **bearer).json()
    assert [r["key"] for r in rest["records"]] == ["1700000120:52.5:13.4"] and rest["next_cursor"] is None
    assert client.get("/api/owner/connections/phone/records", {"method": "device_sync"}, **bearer).json() == {
        "records": [], "next_cursor": None}  # a way the source takes, none arrived so: truly no records
    calendars = client.get("/api/owner/connections/phone/records", {"method": "provider_api"}, **bearer)
    assert calendars.status_code == 400 and calendars.json()["errors"][0]["field"] == "method"


def _points_around_midnights(connection):
    """One record an hour from 12 Mar 2026 00:00 UTC to 15 Mar 00:00 UTC (73 records)."""
    batch = BatchFactory(connection=connection, status="committed")
    first = datetime(2026, 3, 12, tzinfo=UTC)
    Record.objects.bulk_create(
        Record(connection=connection, first_batch=batch, stream="locations", key=f"{i:04d}",
               event_at=first + timedelta(hours=i), payload={"hour": i}, media="")
        for i in range(73)
    )


# the owner's zone, since, until, the first and last record answered (as UTC times), how many
DAYS = [
    ("UTC", "2026-03-13", "2026-03-13", "2026-03-13T00:00:00Z", "2026-03-13T23:00:00Z", 24),
    ("Pacific/Auckland", "2026-03-13", "2026-03-13", "2026-03-12T11:00:00Z", "2026-03-13T10:00:00Z", 24),
    ("America/St_Johns", "2026-03-13", "2026-03-13", "2026-03-13T03:00:00Z", "2026-03-14T02:00:00Z", 24),  # UTC-02:30
    ("Asia/Kathmandu", "2026-03-13", "2026-03-14", "2026-03-12T19:00:00Z", "2026-03-14T18:00:00Z", 48),  # UTC+05:45
    # North America's clocks went forward on 8 Mar; Europe's go on 29 Mar.
    ("Europe/Berlin", "2026-03-13", None, "2026-03-12T23:00:00Z", "2026-03-15T00:00:00Z", 50),
    ("America/Los_Angeles", None, "2026-03-12", "2026-03-12T00:00:00Z", "2026-03-13T06:00:00Z", 31),
    # An instant stays an instant, whatever the owner's zone; without an offset it is UTC.
    ("Pacific/Auckland", "2026-03-13T00:00:00Z", "2026-03-13T02:00:00", "2026-03-13T00:00:00Z",
     "2026-03-13T01:00:00Z", 2),
]


@pytest.mark.parametrize(("zone", "since", "until", "first", "last", "n"), DAYS)
def test_a_day_in_since_and_until_is_the_owners_day(client, bearer, owner, phone, zone, since, until, first, last, n):
    OwnerProfileFactory(owner=owner, time_zone=zone)
    _points_around_midnights(phone)
    query = {k: v for k, v in (("since", since), ("until", until)) if v}
    lines = client.get("/api/owner/connections/phone/records", query, HTTP_ACCEPT="application/x-ndjson", **bearer)
    assert lines.status_code == 200
    times = sorted(json.loads(line)["event_at"] for line in b"".join(lines.streaming_content).splitlines())
    assert (times[0], times[-1], len(times)) == (first, last, n)


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "13/03/2026"])
def test_a_day_that_is_not_one_is_refused_by_name(client, bearer, phone, day):
    response = client.get("/api/owner/connections/phone/records", {"since": day}, **bearer)
    assert response.status_code == 400
    assert "since" in response.content.decode()
