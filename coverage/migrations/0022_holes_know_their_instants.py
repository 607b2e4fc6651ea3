"""A connection's holes are cut again so each keeps the instants it is empty between.

Holes kept before named only their days in the zone of the import (``pipeline.summaries.holes``);
read in another zone the owner moved to, only the days wholly inside those days could be shown,
so a day that was empty in the new zone from its first hour could be left out of the gap. The
one rule now keeps ``from`` and ``until`` (the end of the last slot with a record before the hole,
the start of the first after), cut here from the lanes' slots in the owner's present zone.

Bounded memory: one connection's lanes at a time, each saved in its own transaction. Receipts of
past imports keep their gaps (they read as before). Backwards is a no-op: a hole that keeps its
instants reads the same by its days.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import migrations, transaction

from connections.connectors import get as get_manifest
from coverage.pipeline.summaries import holes


def _zone(apps, owner_id: int):
    name = apps.get_model("connections", "OwnerProfile").objects.filter(owner_id=owner_id) \
        .values_list("time_zone", flat=True).first()
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def forwards(apps, schema_editor):
    Summary = apps.get_model("coverage", "CoverageSummary")
    Lane = apps.get_model("coverage", "LaneSummary")
    rows = Summary.objects.order_by("pk").values_list("pk", "holes", "connection_id",
                                                       "connection__connector", "connection__owner_id")
    for pk, kept, connection_id, connector, owner_id in rows.iterator(chunk_size=500):
        if not kept or all("from" in hole for hole in kept):
            continue
        keys: set[str] = set()
        for counts in Lane.objects.filter(connection_id=connection_id).values_list("day_counts", flat=True):
            keys.update(k for k, n in (counts or {}).items() if n)
        with transaction.atomic(using=schema_editor.connection.alias):
            Summary.objects.filter(pk=pk).update(holes=holes(keys, get_manifest(connector), _zone(apps, owner_id)))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("coverage", "0021_batch_new_range"), ("connections", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
