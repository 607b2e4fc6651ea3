"""Which imports and pushes delivered a record: its first delivery, then later ones, in that order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coverage.models import Record
from coverage.views_days import provenance
from tests.factories import BatchFactory, RecordFactory, RecordProvenanceFactory

pytestmark = pytest.mark.django_db

MARCH = datetime(2023, 3, 12, 9, 0, tzinfo=UTC)


def test_a_point_an_export_brought_and_the_phone_pushed_again_names_both_deliveries():
    record = RecordFactory(
        connection__connector="owntracks", stream="locations",
        first_batch__artifact_filename="Records.json", first_batch__created_at=MARCH,
    )
    push = RecordProvenanceFactory(record=record)
    alone = RecordFactory(connection=record.connection, first_batch=record.first_batch)

    assert record.deliveries() == [(record.first_batch_id, "owner_artifact"), (push.batch_id, "device_sync")]
    assert alone.deliveries() == [(record.first_batch_id, "owner_artifact")]
    assert Record.delivered_by(record.first_batch) == 2 and Record.delivered_by(push.batch) == 1
    said = provenance([record, alone], UTC)
    assert said[record.pk].startswith("from the import of ") and "Records.json" in said[record.pk]
    assert said[record.pk].endswith(" and from the phone") and " and from " not in said[alone.pk]


def test_a_later_delivery_by_the_same_import_is_not_told_twice():
    record = RecordFactory(first_batch__artifact_filename="chat.txt")
    first = record.first_batch
    again = BatchFactory(connection=record.connection, artifact_filename="chat.txt", created_at=first.created_at)
    RecordProvenanceFactory(record=record, batch=again, method="owner_artifact")

    said = provenance([record], UTC)[record.pk]
    assert said.count("chat.txt") == 1
