"""Many connections and the installation: the dashboard's first line and the worker's health."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, tzinfo

from connections.models import Condition

from ..words import moment, pick
from .types import (
    BUCKETS,
    ConnectionHealth,
    DashboardSummary,
    ReadinessFact,
    SummaryPart,
    SystemHealth,
)


def summarize(healths: list[ConnectionHealth]) -> DashboardSummary:
    """The dashboard's first line and its cards in order of urgency, then by name (UI.md, "Layout").

    Every card is counted once, in the first bucket that applies ("1 can't collect · 2 need you · 4 up to date").
    """
    order = list(BUCKETS)
    cards = tuple(sorted(healths, key=lambda h: (order.index(h.bucket), h.connection.name.lower(),
                                                 h.connection.slug)))
    counts = Counter(h.bucket for h in healths)
    parts = tuple(SummaryPart(key, counts[key], f"{counts[key]} {pick(counts[key], BUCKETS[key])}")
                  for key in order if counts[key])
    return DashboardSummary(len(healths), counts["needs_you"], counts["suggestions"], counts["up_to_date"],
                            " · ".join(part.text for part in parts), parts, cards)


def project_system(heartbeat: Condition | None, now: datetime, interval_seconds: int,
                   tz: tzinfo | None = None) -> SystemHealth:
    """The installation's runtime from the worker's latest heartbeat, its times in ``tz`` (the owner's zone).

    The worker is ``unavailable`` when its heartbeat is older than twice its interval.
    """
    if heartbeat is None:
        fact = ReadinessFact("unknown", "no_heartbeat", None)
        return SystemHealth(
            "degraded", "warning", "The background worker has not started yet: imports wait until it runs.", fact
        )
    age = now - heartbeat.observed_at
    if age > timedelta(seconds=2 * interval_seconds):
        fact = ReadinessFact("unavailable", "heartbeat_missing", heartbeat.observed_at)
        return SystemHealth(
            "degraded",
            "warning",
            f"The background worker has not reported since {moment(heartbeat.observed_at, tz or UTC, now)}: "
            "imports and scheduled collections wait until it is back.",
            fact,
        )
    return SystemHealth("healthy", "ok", "The background worker is running.", ReadinessFact(
        "ready", "heartbeat", heartbeat.observed_at))
