"""Arbitrary input never breaks the live parsers: only their declared refusals come out."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import ArtifactRejected, BatchFacts, ParseOptions
from connections.connectors.ical_feed import parse_calendar
from connections.connectors.owntracks import PayloadRejected, parse_overland, parse_owntracks

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
