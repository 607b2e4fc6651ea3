"""Every instant an owner imports is kept to the microsecond, in any year (issue 15: staging writes
SQLite's text of an instant from cached pieces instead of ``str``, a quarter of the cost)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connections.connectors.base import BatchFacts, ParsedRecord
from coverage.models import Record
from coverage.pipeline.live import acquire_records
from coverage.pipeline.staging import utc_text
from tests.factories import ConnectionFactory


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))
def test_the_text_of_an_instant_is_what_str_says_without_its_offset(at):
    assert utc_text(at, at.toordinal()) == str(at)[:-6]


INSTANTS = [
    datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2024, 3, 1, 0, 0, tzinfo=UTC),
    datetime(1999, 12, 31, 12, 0, 0, 1, tzinfo=UTC),
    datetime(970, 6, 1, 8, 30, tzinfo=UTC),  # a year of three digits
    datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
]


@pytest.mark.django_db
def test_an_import_keeps_each_instant_to_the_microsecond(owner):
    connection = ConnectionFactory(owner=owner, connector="owntracks")
    rows = [ParsedRecord("locations", f"k{i}", at, {"i": i}) for i, at in enumerate(INSTANTS)]
    berlin = datetime(2024, 3, 31, 7, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # staged in UTC: 05:30
    rows.append(ParsedRecord("locations", "berlin", berlin, {}))
    batch = acquire_records(connection, method="device_push", trigger="push", records=rows, facts=BatchFacts())
    assert batch.count_accepted == 6

    kept = dict(Record.objects.filter(connection=connection).values_list("key", "event_at"))
    assert kept == {**{f"k{i}": at for i, at in enumerate(INSTANTS)}, "berlin": datetime(2024, 3, 31, 5, 30, tzinfo=UTC)}
    assert Record.objects.filter(connection=connection, event_at__lt=datetime(1000, 1, 1, tzinfo=UTC)).count() == 1
