"""Formatting for owner pages: tones to styles, dates in owner words, relative times.

These filters only format what the projection and the receipt already say;
none of them decides a state.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from coverage.receipts import day as receipt_day

register = template.Library()

# tone -> (css modifier, icon glyph). The glyph is a shape as well as a colour.
TONE_STYLES = {
    "ok": ("ok", "✓"),
    "info": ("info", "i"),
    "warning": ("warning", "!"),
    "critical": ("critical", "✕"),
    "neutral": ("neutral", "–"),
}

# Actions whose address changes something: rendered as a POST form, not a link.
POST_ACTIONS = frozenset({"resume", "retry", "pause"})

PHASE_LABELS = {
    "received": "Received",
    "parsed": "Read",
    "deduplicated": "Checked for duplicates",
    "committed": "Saved",
    "indexed": "Indexed",
    "health_projected": "Health updated",
}


@register.filter
def tone_class(tone: str) -> str:
    return f"tone-{TONE_STYLES.get(tone, TONE_STYLES['neutral'])[0]}"


@register.filter
def tone_icon(tone: str) -> str:
    return TONE_STYLES.get(tone, TONE_STYLES["neutral"])[1]


@register.filter
def is_post_action(action) -> bool:
    return getattr(action, "kind", "") in POST_ACTIONS


@register.filter
def phase_label(name: str) -> str:
    return PHASE_LABELS.get(name, name.replace("_", " ").capitalize())


@register.filter
def owner_day(value) -> str:
    """'12 Mar 2023' for a datetime, a date or an ISO date string."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.day} {value:%b %Y}"
    return receipt_day(value)


@register.filter
def owner_time(value) -> str:
    """'12 Mar 2023, 14:05' in the installation's time zone."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.day} {value:%b %Y, %H:%M}"


_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """The largest whole unit between ``value`` and now: '3 months ago', 'in 2 hours'."""
    if value is None:
        return ""
    now = now or timezone.now()
    seconds = (now - value).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in _UNITS:
        if seconds >= size:
            n = int(seconds // size)
            text = f"{n} {unit}{'' if n == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


register.filter("ago", ago)


@register.filter
def first_of(seq):
    return seq[0] if seq else None


@register.filter
def rest_of(seq):
    return seq[1:] if seq else ()
