"""Data migrations of the coverage evidence, run forwards and back on real rows."""

from __future__ import annotations

import pytest
from django.db import connection as db

from tests.coverage.conftest import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("coverage", "0005_unlogged_staging")
AFTER = ("coverage", "0006_first_delivery_is_the_record")


def test_first_deliveries_stop_being_provenance_rows_and_later_ones_stay(owner, back_to_latest):
    apps = migrate_to(BEFORE)
    Connection = apps.get_model("connections", "Connection")
    Batch = apps.get_model("coverage", "AcquisitionBatch")
    Record = apps.get_model("coverage", "Record")
    Provenance = apps.get_model("coverage", "RecordProvenance")
    phone = Connection.objects.create(owner_id=owner.pk, connector="owntracks", slug="phone", name="Phone")
    export = Batch.objects.create(connection=phone, method="owner_artifact", status="committed")
    push = Batch.objects.create(connection=phone, method="device_sync", status="committed")
    exported = [Record.objects.create(connection=phone, stream="locations", key=f"k{i}", event_at="2024-01-01T00:00Z",
                                      first_batch=export) for i in range(3)]
    pushed = Record.objects.create(connection=phone, stream="locations", key="p", event_at="2024-01-02T00:00Z",
                                   first_batch=push)
    for record in exported:  # as imports wrote them before: a row for the first delivery too
        Provenance.objects.create(record=record, batch=export, method="owner_artifact")
    Provenance.objects.create(record=pushed, batch=push, method="device_sync")
    Provenance.objects.create(record=exported[0], batch=push, method="device_sync")  # a later delivery

    apps = migrate_to(AFTER)
    rows = set(apps.get_model("coverage", "RecordProvenance").objects.values_list("record_id", "batch_id", "method"))
    assert rows == {(exported[0].pk, push.pk, "device_sync")}

    apps = migrate_to(BEFORE)
    rows = set(apps.get_model("coverage", "RecordProvenance").objects.values_list("record_id", "batch_id", "method"))
    assert rows == {
        *((r.pk, export.pk, "owner_artifact") for r in exported),
        (pushed.pk, push.pk, "device_sync"),
        (exported[0].pk, push.pk, "device_sync"),
    }


def _staging_sql() -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'coverage_stagedrecord'")
        return cursor.fetchone()[0]


@pytest.mark.skipif(db.vendor != "sqlite", reason="a SQLite table layout (PostgreSQL's staging is unchanged)")
def test_rows_waiting_in_staging_stay_when_it_becomes_one_key_ordered_table(back_to_latest):
    migrate_to(("coverage", "0019_batch_set_aside"))
    waiting = [(7, "locations", f"{1_700_000_000 + i}:52.5:13.4", "2023-11-14 22:13:20", 738_838, '{"lat": 52.5}', "")
               for i in range(3)]
    with db.cursor() as cursor:
        cursor.executemany("INSERT INTO coverage_stagedrecord VALUES (%s, %s, %s, %s, %s, %s, %s)", waiting)
    assert "WITHOUT ROWID" not in _staging_sql()

    for step in (("coverage", "0020_staging_without_rowid"), ("coverage", "0019_batch_set_aside"),
                 ("coverage", "0020_staging_without_rowid")):
        migrate_to(step)
        with db.cursor() as cursor:
            cursor.execute("SELECT batch_id, stream, key, event_at || '', event_day, payload, media "
                           "FROM coverage_stagedrecord ORDER BY key")
            assert [tuple(row) for row in cursor.fetchall()] == waiting
    assert "WITHOUT ROWID" in _staging_sql() and "JSON_VALID" not in _staging_sql()
