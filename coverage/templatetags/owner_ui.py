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


_FORMAT_WORDS = {
    "whatsapp": "WhatsApp",
    "ios": "iPhone",
    "android": "Android",
    "apple": "Apple",
    "health": "Health",
    "takeout": "Takeout",
    "records": "Records",
    "semantic": "Semantic Location History",
    "ondevice": "On-device Timeline",
    "icalendar": "iCalendar",
    "owntracks": "OwnTracks",
    "overland": "Overland",
    "http": "",
}
_EXTENSIONS = {"zip", "txt", "json", "xml"}


@register.filter
def format_words(source_format: str) -> str:
    """'whatsapp_ios_zip' -> 'WhatsApp iPhone (.zip)': a format name an owner can read."""
    if not source_format:
        return ""
    words, ext = [], ""
    for token in source_format.split("_"):
        if token in _EXTENSIONS:
            ext = f"(.{token})"
        else:
            word = _FORMAT_WORDS.get(token, token.capitalize())
            if word:
                words.append(word)
    return " ".join([*words, ext]).strip()


@register.filter
def phase_steps(phases) -> list[dict]:
    """Each phase with ``done``, ``current`` (the first not done yet) or ``waiting``."""
    steps, current_seen = [], False
    for phase in phases or ():
        if phase.at:
            state = "done"
        elif not current_seen:
            state, current_seen = "current", True
        else:
            state = "waiting"
        steps.append({"name": phase.name, "label": phase_label(phase.name), "at": phase.at, "state": state})
    return steps


@register.filter
def interval_words(seconds) -> str:
    """3600 -> 'hour', 7200 -> '2 hours', 900 -> '15 minutes'."""
    seconds = int(seconds or 0)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return f"{seconds} seconds"


@register.filter
def count_noun(n, noun) -> str:
    """12, ('message', 'messages') -> '12 messages'."""
    n = int(n or 0)
    return f"{n:,} {noun[0] if n == 1 else noun[1]}"
