"""A move to a zone whose offset is not whole hours counts the owner's summaries again in quarter hours.

The lane summaries count records per UTC hour while the owner's zone is a whole number of hours from UTC,
per quarter hour otherwise (``slots``). An hour slot straddles midnight in India (+05:30) or Nepal (+05:45):
after a move there, the strip and its table put the records of 18:30–19:00 UTC on the wrong day while the
day pages, the map and the records API, which read the records, put them right. So when the owner's new
zone needs shorter slots than the old one, every source's summaries are counted again from what it holds
(``recount.recount_days``: only where they stand; every other fact stays), in the transaction that saves
the zone. The other way (quarter hours kept in a whole-hour zone) every slot still falls in one day.
"""

from __future__ import annotations

from django.db import transaction

from connections.models import Connection
from connections.zones import zone_named

from . import slots
from .recount import recount_days


def on_zone_changed(sender, *, owner, before: str, after: str, **kwargs) -> None:
    """``connections.account.zone_changed``'s receiver."""
    if slots.minutes_for(zone_named(after)) < slots.minutes_for(zone_named(before)):
        for connection in Connection.objects.for_owner(owner):
            count_again(connection)


def count_again(connection: Connection) -> None:
    """Count again where ``connection``'s records stand, in the owner's zone now."""
    with transaction.atomic():
        recount_days(Connection.objects.select_for_update().get(pk=connection.pk))
