"""A preview read before the owner's zone changed: times written without a zone were read in the old one.

A WhatsApp chat writes the phone's wall-clock time and no zone, so its preview reads each time in
the owner's zone of that moment (``connections.zoneless``). When the owner picks another zone
before importing it, the preview no longer shows what an import would hold in their zone. Its
receipt then offers to read the file again in the new zone (``next_action`` ``read_in_zone``),
and the commit refuses it until it is (``pipeline.commit.start_commit``): a preview always shows
what its commit lands.
"""

from __future__ import annotations

from connections.zoneless import ZONELESS_CONNECTORS, ZONELESS_ITEMS

from .models import AcquisitionBatch


def zone_to_read_in(batch: AcquisitionBatch, zone: str) -> str | None:
    """``zone`` (the owner's zone now, an IANA name) when the waiting preview ``batch`` read its
    zoneless times in another zone; None when it is up to date or not such a preview.

    A re-read (read in a zone named for it, ``options.time_zone``) and a preview still being read or
    waiting for an answer are up to date as they are. Reads no deferred field (the dashboard's loader
    builds the latest receipt from a batch without its ``options``).
    """
    if batch.status != AcquisitionBatch.Status.PREVIEW or not batch.is_measured or batch.question:
        return None
    if batch.connection.connector not in ZONELESS_CONNECTORS or batch.trigger == "reread":
        return None
    read_in = batch.time_zone_assumed
    return zone if read_in and read_in != zone else None


def previews_in_other_zones(owner, zone: str) -> list[AcquisitionBatch]:
    """The owner's waiting previews that read times without a zone in another zone than ``zone``."""
    waiting = (
        AcquisitionBatch.objects.for_owner(owner)
        .filter(status=AcquisitionBatch.Status.PREVIEW, connection__connector__in=ZONELESS_CONNECTORS)
        .exclude(time_zone_assumed__in=("", zone))
        .select_related("connection")
        .order_by("created_at", "pk")
    )
    return [batch for batch in waiting if zone_to_read_in(batch, zone)]


def zone_words(batch: AcquisitionBatch, zone: str, noun: str) -> str:
    """Why such a preview must be read again, in owner words."""
    items = ZONELESS_ITEMS.get(batch.connection.connector, "times")
    return (
        f"This file's {items} carry no time zone. This preview read them in {batch.time_zone_assumed}, "
        f"and your time zone is now {zone}: read it again in {zone} before importing, so each {noun} "
        "stands on its own day."
    )
