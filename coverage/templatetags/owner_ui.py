"""Formatting for owner pages: tones to styles, phases to steps; owner words from ``coverage.words``.

These filters only format what the projection and the receipt already say;
none of them decides a state, and the word filters only call ``coverage.words``.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from coverage import receipt_words, words

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
def phase_label(name: str) -> str:
    return PHASE_LABELS.get(name, name.replace("_", " ").capitalize())


@register.filter
def owner_day(value) -> str:
    """'12 Mar 2023' for a datetime, a date or an ISO date string, in the current zone."""
    return words.day(value, timezone.get_current_timezone(), missing="")


@register.filter
def owner_time(value) -> str:
    """'today at 09:41 NZDT', '12 Mar 2023 at 14:05 NZDT': in the current zone (the owner's), the zone named."""
    return words.moment(value, timezone.get_current_timezone(), timezone.now()) if value else ""


@register.filter
def held_in(source) -> str:
    """Where a receipt's already-held records are, in the current zone (``receipt_words.held_in``)."""
    return receipt_words.held_in(source, timezone.get_current_timezone())


@register.filter
def owner_day_time(value) -> str:
    """'4 Dec 2026 at 09:00 CET': a day as a list's column writes it, with the time of day (two alike that day)."""
    return words.day_and_time(value, timezone.get_current_timezone()) if value else ""


@register.filter
def owner_times(start, end) -> str:
    """'1 Feb 2024 from 10:00 to 10:01 IST', '13 Mar 2026 at 10:00 UTC to 14 Mar 2026 at 18:00 UTC' (``words.moments``)."""
    return words.moments(start, end, timezone.get_current_timezone(), timezone.now()) if start and end else ""


@register.filter
def import_name(receipt) -> str:
    """'1 Dec 2026 · WhatsApp Chat with Alice.txt': an import by its day and file, never by a number (UI.md).

    A batch that came without a file (a phone's pushes, a feed's collection) is named by when it began,
    '2 Mar 2026 at 09:15 UTC': its lane ("Phone", "Feed") is shown beside the name, not inside it.
    """
    tz = timezone.get_current_timezone()
    if receipt.artifact is None:
        return words.day_and_time(receipt.created_at, tz)
    return words.import_name(receipt.created_at, receipt.artifact.filename, tz)


@register.filter
def owner_span(start, end) -> str:
    """'12 Mar to 25 Mar 2023' (one day alone: '1 Dec 2026'), the owner's days."""
    return words.span(start, end, timezone.get_current_timezone()) if start and end else ""


@register.filter
def ago(value, now=None) -> str:
    """'3 months ago', 'in 2 hours', from now."""
    return words.ago(value, now or timezone.now())


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
def count_of(n, noun: str) -> str:
    """12, 'day' -> '12 days'; 1, 'media file' -> '1 media file' (the owner nouns of ``coverage.words``)."""
    return words.count(int(n or 0), words.NOUNS[noun])


@register.filter
def of(total, noun: str) -> str:
    """A whole and its owner noun, for ``part_of``: ``{% with whole=declared|of:"media file" %}``."""
    return f"{int(total or 0)}:{noun}"


@register.filter
def part_of(n, whole: str) -> str:
    """``{{ attached|part_of:whole }}`` -> '1 of 4 media files' (``whole`` from ``of``)."""
    total, _, noun = str(whole).partition(":")
    return words.part_of(int(n or 0), int(total or 0), words.NOUNS[noun])


@register.filter
def agree(n, forms: str) -> str:
    """1, 'was,were' -> 'was'; 2 -> 'were'."""
    one, _, many = forms.partition(",")
    return words.pick(int(n or 0), (one, many))


@register.filter
def count_noun(n, noun) -> str:
    """12, ('message', 'messages') -> '12 messages'."""
    return words.count(int(n or 0), noun)
