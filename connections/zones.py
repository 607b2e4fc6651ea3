"""The owner's zone (DESIGN.md, "Time"): the one place that decides it.

Their profile's zone, else the installation's ``TIME_ZONE``; a name no longer known (a zone
database without it) falls back the same way, and UTC is the last resort. Every owner-facing
day, every reading of a time written without a zone, and every owner page ask here.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from .models import OwnerProfile


def zone_named(name: str | None) -> tzinfo:
    """The zone an owner's profile names (``name``; empty: none chosen)."""
    for candidate in (name, settings.TIME_ZONE):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def owner_zone(owner) -> tzinfo:
    """The zone of one owner (a user or a user id; one query)."""
    owner_id = getattr(owner, "pk", owner)
    return zone_named(OwnerProfile.objects.filter(owner_id=owner_id).values_list("time_zone", flat=True).first())
