"""An owner previews an export made again into a source that holds most of it. On PostgreSQL the
preview then reads its staged rows and the source's records side by side in key order, instead of
looking each staged key up (issue 15: a re-import's preview about as fast as a first import's).

Whichever way it reads them, the preview says the same: the same counts, days, duplicates and
their holders, and the same days kept for the commit's set-aside. The way is chosen from the
preview's own counts (the planner's statistics lag behind a large import), and the connection's
planner settings are its own again afterwards.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.db import connection as db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage.pipeline import landing, staging
from coverage.pipeline.landing import measure_staged
from coverage.pipeline.pg_tuning import key_order_join
from tests.coverage.test_first_counts import ZONES, parsed_rows
from tests.coverage.test_reimport_counts import held_records, held_source, kept_days
from tests.factories import (
    BatchFactory,
    ConnectionFactory,
    CoverageSummaryFactory,
)

pytestmark = pytest.mark.django_db
POSTGRES = db.vendor == "postgresql"
PLANNER = ("enable_hashjoin", "enable_nestloop", "enable_bitmapscan", "enable_seqscan", "jit")


def planner_settings() -> dict[str, str]:
    if not POSTGRES:
        return {}
    with db.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(PLANNER)), list(PLANNER))
        return dict(zip(PLANNER, cursor.fetchone(), strict=True))


@pytest.fixture
def joins(monkeypatch) -> list[int]:
    """How many measures ran a key-order join."""
    calls, real = [], landing.key_order_join

    def counted():
        calls.append(1)
        return real()
    monkeypatch.setattr(landing, "key_order_join", counted)
    return calls


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(held=held_records(), rows=parsed_rows(), zone=st.sampled_from(ZONES), by_slot=st.booleans())
def test_a_reimport_read_in_key_order_says_what_looking_each_key_up_says(owner, joins, held, rows, zone, by_slot):
    connection = held_source(owner, held, zone)
    batch = BatchFactory(connection=connection, status=BatchFactory._meta.model.Status.PREVIEW)
    staging.stage(batch.pk, rows, None, None)
    before, joins[:] = planner_settings(), []

    looked_up_kept, ordered_kept = kept_days(batch), kept_days(batch)
    looked_up = measure_staged(batch.pk, connection.pk, by_slot=by_slot, note=looked_up_kept.note)
    assert joins == []
    ordered = measure_staged(batch.pk, connection.pk, by_slot=by_slot, note=ordered_kept.note, rows=len(rows))
    assert joins == ([1] if POSTGRES else [])  # the source holds no summary yet: its records are few
    assert ordered == looked_up
    assert ordered_kept.days == looked_up_kept.days  # the commit sets aside the same rows
    assert planner_settings() == before


READ_IN_KEY_ORDER = {
    # staged rows, records the source's summary counts -> read in key order (PostgreSQL)
    "an export made again, 5 % longer": (1_050, 1_000, True),
    "a quarter of what the source holds": (1_000, 4_000, True),
    "just under a quarter": (999, 4_000, False),
    "a week of points into years of them": (2_000, 500_000, False),
    "a source with no summary yet": (10, None, True),
    "a caller that does not know how many": (None, 100, False),
}


@pytest.mark.parametrize("case", list(READ_IN_KEY_ORDER))
def test_the_way_a_preview_reads_a_held_source_follows_its_counts(owner, case):
    rows, records, in_key_order = READ_IN_KEY_ORDER[case]
    connection = ConnectionFactory(owner=owner, connector="apple_health")
    if records is not None:
        CoverageSummaryFactory(connection=connection, record_count=records)
    assert landing._in_key_order(connection.pk, rows) is (in_key_order and POSTGRES)


@pytest.mark.skipif(not POSTGRES, reason="the planner settings are PostgreSQL's")
def test_a_failed_statement_in_key_order_leaves_the_planner_as_it_was(owner):
    before = planner_settings()
    with pytest.raises(DatabaseError, match="division by zero"):
        with transaction.atomic(), db.cursor() as cursor, key_order_join():
            assert planner_settings()["enable_nestloop"] == "off"
            cursor.execute("SELECT 1 / 0")
    assert planner_settings() == before
