"""Owner API: the owner's records themselves, to look at or to take away.

``GET /api/owner/connections/{slug}/records`` answers JSON pages with a ``next_cursor``, or,
asked with ``Accept: application/x-ndjson``, streams every matching record as one JSON object
a line. Both walk the records in (stream, key) order through the unique index
``record_key_per_stream`` (connection, stream, key), ``STREAM_CHUNK`` rows a query, so memory
stays flat for millions of records; keys are time-first for every connector, so the order is
close to time order within a stream. Only records the owner may see are answered
(``Record.objects.visible()``: a batch still being committed is not the owner's data yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import orjson
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from connections.connectors import all_manifests
from connections.connectors.manifest import METHODS
from connections.models import Connection
from connections.zones import owner_zone

from . import api_words as words
from .api_problems import problems, refuse_fields
from .days import day_bounds
from .models import Record, RecordProvenance

router = Router(tags=["records"])

PAGE = 500  # records in one JSON page (the most a ``limit`` may ask)
STREAM_CHUNK = 2_000  # records a query while streaming NDJSON
NDJSON = "application/x-ndjson"


class RecordOut(Schema):
    stream: str
    key: str
    event_at: datetime
    payload: dict
    media: str
    methods: list[str]  # how it arrived: the first delivery's method, then later ones


class RecordsPage(Schema):
    records: list[RecordOut]
    next_cursor: str | None


# Text a filter may hold: anything but NUL, which no stored text holds and PostgreSQL refuses to
# compare with (a 500 before; now a 400 that says which filter).
NO_NUL = r"^[^\x00]*$"


DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# The OpenAPI description of what each kind of source holds and how its records arrive: a value
# the source does not have is refused (400), so a typo is never read as "no records".
_STREAMS = "; ".join(f"{m.name}: {words.listed(m.streams)}" for m in all_manifests())
_METHODS = "; ".join(f"{m.name}: {words.listed(tuple(dict.fromkeys(p.method for p in m.paths)))}" for m in all_manifests())


class RecordFilters(Schema):
    stream: str | None = Field(
        None, pattern=NO_NUL,
        description=f"records of one stream, one the source holds ({_STREAMS}); another is refused",
    )
    since: datetime | date | None = Field(
        None,
        description="records from this time on: an instant (`2026-03-13T09:00:00Z`; without an offset, UTC) "
        "or a day (`2026-03-13`), from the start of that day in the owner's time zone",
    )
    until: datetime | date | None = Field(
        None,
        description="records before this time: an instant (`2026-03-14T00:00:00Z`; without an offset, UTC), "
        "or a day (`2026-03-13`), up to the end of that day in the owner's time zone (the day is included)",
    )
    method: str | None = Field(
        None, pattern=NO_NUL,
        description=f"records that arrived one way ({words.listed(METHODS)}), one the source takes "
        f"({_METHODS}); another is refused",
    )
    cursor: str | None = Field(
        None, pattern=NO_NUL,
        description="the `next_cursor` of the previous page (`STREAM:KEY`, the stream one the source holds); "
        "another is refused",
    )
    limit: int = Field(PAGE, ge=1, le=PAGE)

    @field_validator("since", "until", mode="before")
    @classmethod
    def _day(cls, value):
        """A day written as a day stays one (pydantic would read ``2026-03-13`` as UTC midnight)."""
        if isinstance(value, str) and DAY.fullmatch(value.strip()):
            return date.fromisoformat(value.strip())
        return value


def _cursor(stream: str, key: str) -> str:
    return f"{stream}:{key}"


def _after(cursor: str | None) -> tuple[str, str] | None:
    """The position after which to go on (stream names hold no colon; ``_refused`` checked it)."""
    if not cursor:
        return None
    stream, _, key = cursor.partition(":")
    return stream, key


FILTERS = tuple(RecordFilters.model_fields)


def _refused(request: HttpRequest, connection: Connection, f: RecordFilters) -> list[dict]:
    """What the request names that this source does not have, as ``refuse_fields`` takes it: a
    parameter the address does not take, a stream or a method not in the source's manifest, a
    cursor the API did not give (not ``STREAM:KEY`` of one of its streams)."""
    manifest = connection.manifest
    methods = tuple(dict.fromkeys(path.method for path in manifest.paths))
    refused = [
        {"loc": ("query", name), "type": "extra_forbidden", "known": FILTERS}
        for name in sorted(set(request.GET) - set(FILTERS))
    ]
    if f.stream and f.stream not in manifest.streams:
        refused.append({"loc": ("query", "stream"), "type": "not_held",
                        "accepts": words.SOURCE_STREAMS.format(names=words.listed(manifest.streams))})
    if f.method and f.method not in methods:
        refused.append({"loc": ("query", "method"), "type": "not_taken",
                        "accepts": words.SOURCE_METHODS.format(names=words.listed(methods))})
    if f.cursor:
        stream, colon, key = f.cursor.partition(":")
        if not (colon and key and stream in manifest.streams):
            refused.append({"loc": ("query", "cursor"), "type": "not_given"})
    return refused


def _utc(value: datetime) -> datetime:
    """``value`` as UTC (a time without a zone is UTC), clamped to what can be written.

    Databases refuse some offsets Python allows (PostgreSQL: ±15:59); the instant is the same.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


def _instant(value: datetime | date, tz, *, end: bool) -> datetime:
    """A filter's instant: a day starts (``end``: ends) in the owner's zone ``tz``; a time is itself."""
    if isinstance(value, datetime):
        return _utc(value)
    try:
        start, following = day_bounds(value, tz)
    except OverflowError:  # the first or last day there is
        return (datetime.max if end else datetime.min).replace(tzinfo=UTC)
    return following if end else start


def _matching(connection: Connection, f: RecordFilters):
    records = Record.objects.filter(connection=connection).visible()
    if f.stream:
        records = records.filter(stream=f.stream)
    tz = owner_zone(connection.owner_id)
    if f.since:
        records = records.filter(event_at__gte=_instant(f.since, tz, end=False))
    if f.until:
        records = records.filter(event_at__lt=_instant(f.until, tz, end=True))
    if f.method:
        later = RecordProvenance.objects.filter(method=f.method).values("record_id")
        records = records.filter(first_batch__method=f.method) | records.filter(pk__in=later)
    return records.order_by("stream", "key")


_FIELDS = ("id", "stream", "key", "event_at", "payload", "media", "first_batch__method")


def _chunk(records, after: tuple[str, str] | None, size: int) -> list[dict]:
    if after is None:
        rows = list(records.values(*_FIELDS)[:size])
    else:
        # Two range reads of the (connection, stream, key) index, never one OR: an OR made every chunk
        # sort all the records after the cursor, so a long stream slowed down as it went.
        stream, key = after
        rows = list(records.filter(stream=stream, key__gt=key).values(*_FIELDS)[:size])
        if len(rows) < size:
            rows += records.filter(stream__gt=stream).values(*_FIELDS)[: size - len(rows)]
    later: dict[int, list[str]] = {}
    for record_id, method in RecordProvenance.objects.filter(record_id__in=[r["id"] for r in rows]).order_by(
        "batch_id"
    ).values_list("record_id", "method"):
        later.setdefault(record_id, []).append(method)
    return [
        {
            "stream": r["stream"],
            "key": r["key"],
            "event_at": r["event_at"],
            "payload": r["payload"],
            "media": r["media"],
            "methods": [r["first_batch__method"], *later.get(r["id"], [])],
        }
        for r in rows
    ]


def _ndjson(records, after: tuple[str, str] | None) -> Iterator[bytes]:
    while True:
        rows = _chunk(records, after, STREAM_CHUNK)
        for row in rows:
            yield orjson.dumps(row, option=orjson.OPT_UTC_Z) + b"\n"
        if len(rows) < STREAM_CHUNK:
            return
        after = (rows[-1]["stream"], rows[-1]["key"])


@router.get(
    "/connections/{slug}/records",
    response={200: RecordsPage, **problems(400, 404)},
    openapi_extra={"responses": {200: {"content": {NDJSON: {"schema": {"$ref": "#/components/schemas/RecordOut"}}}}}},
)
def list_records(request: HttpRequest, slug: str, filters: Query[RecordFilters]):
    """The connection's records, filtered by ``stream``, ``since``/``until`` (event time) and ``method``.

    A ``stream`` or ``method`` the source does not have, a ``cursor`` this address did not give,
    or a parameter it does not take is refused: 400 ``invalid_values``, each naming what it takes.

    ``since`` and ``until`` take an instant or a day; a day is the owner's day, in their time zone,
    and ``until`` a day includes it (``since=2026-03-13&until=2026-03-13`` is that one day).

    JSON: a page of at most ``limit`` records (1 to 500) and the ``next_cursor`` to ask for the
    next (null at the end). ``Accept: application/x-ndjson``: every matching record, one JSON
    object a line, streamed from the ``cursor`` on (``limit`` does not apply).
    """
    connection = get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)
    if refused := _refused(request, connection, filters):
        raise refuse_fields(*refused)
    records = _matching(connection, filters)
    after = _after(filters.cursor)
    if NDJSON in request.headers.get("Accept", ""):
        response = StreamingHttpResponse(_ndjson(records, after), content_type=NDJSON)
        response["Cache-Control"] = "no-store"
        return response
    rows = _chunk(records, after, filters.limit + 1)
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = _cursor(rows[-1]["stream"], rows[-1]["key"]) if more else None
    body = orjson.dumps({"records": rows, "next_cursor": next_cursor}, option=orjson.OPT_UTC_Z)
    return JsonResponse(orjson.loads(body), safe=False)
