"""Formatting for owner pages: tones to styles, phases to steps; owner words from ``coverage.words``.

These filters only format what the projection and the receipt already say;
none of them decides a state, and the word filters only call ``coverage.words``.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from coverage import words

register = template.Library()

# tone -> (css modifier, icon glyph). The glyph is a shape as well as a colour.
TONE_STYLES = {
    "ok": ("ok", "✓"),
    "info": ("info", "i"),
    "warning": ("warning", "!"),
    "critical": ("critical", "✕"),
    "neutral": ("neutral", "–"),
}

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
    """An action whose address changes something: rendered as a POST form, not a link."""
    return getattr(action, "method", "GET") == "POST"


@register.filter
def phase_label(name: str) -> str:
    return PHASE_LABELS.get(name, name.replace("_", " ").capitalize())


@register.filter
def owner_day(value) -> str:
    """'12 Mar 2023' for a datetime, a date or an ISO date string, in the current zone."""
    return words.day(value, timezone.get_current_timezone(), missing="")


@register.filter
def owner_time(value) -> str:
    """'12 Mar 2023, 14:05' in the current zone."""
    return words.day_and_time(value, timezone.get_current_timezone()) if value else ""


@register.filter
def ago(value, now=None) -> str:
    """'3 months ago', 'in 2 hours', from now."""
    return words.ago(value, now or timezone.now())


@register.filter
def first_of(seq):
    return seq[0] if seq else None


@register.filter
def rest_of(seq):
    return seq[1:] if seq else ()


@register.filter
def format_words(source_format: str) -> str:
    """'whatsapp_ios_zip' -> 'WhatsApp iPhone (.zip)'."""
    return words.format_name(source_format)


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
    return words.interval(seconds)


@register.filter
def count_noun(n, noun) -> str:
    """12, ('message', 'messages') -> '12 messages'."""
    return words.count(int(n or 0), noun)
