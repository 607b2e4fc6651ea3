"""Which committed imports may be read again (``reread``): those read by an older reader, those read in a
day/month order a later file proved wrong, and those of sources that write no zone read in another zone.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from connections.connectors import CONNECTORS
from connections.models import Connection
from connections.zoneless import ZONELESS_CONNECTORS, zoneless_connections

from ..models import AcquisitionBatch
from .date_orders import misordered_imports

Status = AcquisitionBatch.Status


def current_readers() -> dict[str, str]:
    """Each connector's reader version today ("whatsapp/3"), by connector id."""
    return {m.MANIFEST.id: getattr(m, "PARSER_VERSION", "") for m in CONNECTORS}


def rereadable(connections: QuerySet[Connection] | Iterable[Connection]) -> QuerySet[AcquisitionBatch]:
    """Committed uploads of ``connections`` that still hold their file and were not read again."""
    return (
        AcquisitionBatch.objects.filter(connection__in=connections, status=Status.COMMITTED, method="owner_artifact")
        .exclude(artifact_name="")
        .exclude(artifact_sha256="")
        .exclude(options__has_key="superseded_by")
        .select_related("connection")
        .order_by("created_at", "pk")
    )


def is_outdated(batch: AcquisitionBatch, readers: dict[str, str] | None = None) -> bool:
    """Read by a reader other than today's (the same rule as the projection's advisory)."""
    today = (readers or current_readers()).get(batch.connection.connector, "")
    return bool(batch.parser_version and today and batch.parser_version != today)


def outdated_imports(connections: QuerySet[Connection] | Iterable[Connection]) -> list[AcquisitionBatch]:
    readers = current_readers()
    return [b for b in rereadable(connections) if is_outdated(b, readers)]


def imports_to_read_again(connections: QuerySet[Connection]) -> list[AcquisitionBatch]:
    """Imports read by an older reader, and imports read in a day/month order a later file proved
    wrong (``date_orders``), once each, oldest first."""
    found = {b.pk: b for b in outdated_imports(connections)}
    found.update((b.pk, b) for b in misordered_imports(connections) if b.pk not in found)
    return sorted(found.values(), key=lambda b: (b.created_at, b.pk))


def zone_imports(owner, zone: str) -> list[AcquisitionBatch]:
    """The owner's imports of sources that write no zone, read in a zone other than ``zone``."""
    return zone_imports_of(zoneless_connections(owner), zone)


def zone_imports_of(connections: QuerySet[Connection], zone: str) -> list[AcquisitionBatch]:
    """Imports of ``connections`` whose sources write no zone, read in a zone other than ``zone``.

    An import that names no zone placed nothing in one (a Health export without day summaries),
    unless an older reader read it, before readers named the zone they used."""
    readers = current_readers()
    return [
        b
        for b in rereadable(connections.filter(connector__in=ZONELESS_CONNECTORS))
        if b.time_zone_assumed != zone and (b.time_zone_assumed or is_outdated(b, readers))
    ]
