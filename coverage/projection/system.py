"""Many connections and the installation: the dashboard's first line and the worker's health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from connections.models import Condition

from ..words import count, moment, pick
from .types import ConnectionHealth, DashboardSummary, ReadinessFact, SystemHealth


def summarize(healths: list[ConnectionHealth]) -> DashboardSummary:
    """The dashboard's first line: who needs the owner now, who has suggestions, who is fine."""
    needs = sum(1 for h in healths if h.needs_owner_now)
    suggestions = sum(1 for h in healths if not h.needs_owner_now and h.advisories)
    healthy = sum(1 for h in healths if h.verdict.state == "healthy")
    parts = [
        f"{count(needs, ('source needs', 'sources need'))} you",
        f"{suggestions} {pick(suggestions, ('has', 'have'))} suggestions",
        f"{healthy} up to date",
    ]
    return DashboardSummary(len(healths), needs, suggestions, healthy, " · ".join(parts))


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
