"""The 12-hour clock's day-period words of every CLDR locale, and the hours each may mean.

The data is ``day_periods.json``, generated from CLDR (by Babel) with::

    uv run python tests/fixtures/whatsapp/locales/make_day_periods.py

``HOURS`` maps a normalized word (AM/PM words and CLDR's flexible day periods such as 晚上,
凌晨, ከሰዓት, M.D., ÖS, NM.) to a 24-bit mask: bit h is set when the word can stand for hour h
of the 24, in any width (abbreviated, wide, narrow) and context (format, stand-alone) of the
locales that write it. Where two languages read one clock time two ways, the more widely
written language's meaning is kept, or, between two lesser-written ones, no hour (0): such a
time is reported unreadable. A word not here is no clock word, and a line whose time carries
one is not a message header (``grammar.known_clock``). Words are normalized by dropping the
bidi marks U+200E, U+200F and U+202A-U+202E, U+FEFF, every whitespace character and every
".", then upper-casing.
"""

from __future__ import annotations

import json
from pathlib import Path

_DATA = Path(__file__).with_name("day_periods.json")


def _load() -> dict[str, int]:
    words = json.loads(_DATA.read_text(encoding="utf-8"))["words"]
    return {word: int(hours.replace("_", ""), 2) for word, (hours, _locales) in words.items()}


HOURS: dict[str, int] = _load()
