"""The owner's choice of how often a pulled source is collected (the runs page offers it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from .models import Connection

# The choices the owner is offered, in the words they are offered in; None is "only when I ask".
CHOICES: dict[str, tuple[str, timedelta | None]] = {
    "15m": ("Every 15 minutes", timedelta(minutes=15)),
    "1h": ("Every hour", timedelta(hours=1)),
    "6h": ("Every 6 hours", timedelta(hours=6)),
    "1d": ("Once a day", timedelta(days=1)),
    "manual": ("Only when I ask", None),
}


def current_choice(connection: Connection) -> str:
    """The key of ``CHOICES`` the connection follows (a paused one: the schedule it resumes to)."""
    policy = connection.resume_policy if connection.is_paused else connection.schedule_policy
    if policy != Connection.Policy.INTERVAL or not connection.interval_seconds:
        return "manual"
    for key, (_, every) in CHOICES.items():
        if every is not None and int(every.total_seconds()) == connection.interval_seconds:
            return key
    return ""


def set_schedule(connection: Connection, choice: str, *, now: datetime | None = None) -> Connection:
    """Collect every so often, or only when asked. A paused source stays paused and resumes to it.

    The next collection is due one interval after the last due time asked for, never later than
    one interval from now, so a shorter interval takes effect at once.
    """
    if choice not in CHOICES:
        raise ValueError(f"unknown schedule {choice!r}")
    now = now or timezone.now()
    every = CHOICES[choice][1]
    policy = Connection.Policy.MANUAL if every is None else Connection.Policy.INTERVAL
    connection.interval_seconds = None if every is None else int(every.total_seconds())
    if connection.is_paused:
        connection.resume_policy = policy
    else:
        connection.schedule_policy = connection.resume_policy = policy
        soonest = now + every if every is not None else None
        connection.next_due_at = (
            None if soonest is None else min(connection.next_due_at or soonest, soonest)
        )
    connection.save(update_fields=["schedule_policy", "resume_policy", "interval_seconds", "next_due_at"])
    return connection
