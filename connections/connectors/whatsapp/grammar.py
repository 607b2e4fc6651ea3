"""The layout of a message's first line: date, time, separators and invisible marks.

``_HEADER`` reads one line; ``_HEADER_NL`` the same preceded by a newline, to cut whole
blocks; ``_specialize`` fits a narrower regex to one file's first header. The AM/PM words
(English, Spanish ``p. m.``, Arabic ص/م) and the Finnish ``klo`` are the locale parts, as
WhatsApp writes them in exports.
"""

from __future__ import annotations

import re

# Invisible direction marks and the BOM: stripped before any text is compared.
_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"
_MARK_TABLE = {ord(c): None for c in _MARKS}
_MARK_RE = re.compile(f"[{_MARKS}]")
_LEAD_MARKS = ("\u200e", "\u200f")


def _has_marks(text: str) -> bool:
    # Eight substring scans beat one character-class regex search by far on long text.
    return any(mark in text for mark in _MARKS)


# --- line grammar ------------------------------------------------------------------------------
# Marks may sit anywhere inside the prefix (Arabic exports put U+200F between date fields).
_M = f"[{_MARKS}]*"
_S = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space (before AM/PM since 2023)
_DATE = rf"\d{{1,4}}{_M}[./-]{_M}\d{{1,2}}{_M}[./-]{_M}\d{{1,4}}"
_AMPM = rf"(?:[aApP]\.?{_S}?[mM]\.?|[\u0635\u0645])"  # AM/PM, a.m., p. m., Arabic ص/م
_TIME = rf"\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?(?:{_S}?{_M}{_AMPM})?"
# Android "31/12/2023, 21:40 - ", iOS "[12/31/23, 9:40:05 PM] ", old iOS "13/06/15 10:59:59: ".
_SEP = rf"(?:\] |{_S}[-\u2013]{_S}|: )"


def _prefix(date: str, time: str) -> str:
    return rf"{_M}\[?{_M}{date}{_M}\.?{_M}[,\u060c]?{_M}{_S}?{_M}(?:klo{_S})?{time}{_M}{_SEP}"


# One line (used on single lines), and the same grammar preceded by the newline that ends the
# previous line: a literal first character lets the regex engine jump from line start to line
# start in C, so whole decoded blocks are cut (split) or searched without a Python loop.
_HEADER = re.compile(_prefix(f"({_DATE})", f"({_TIME})"))
_HEADER_NL = re.compile("\n" + _prefix(f"({_DATE})", f"({_TIME})"))

# Day/month evidence, searched over whole blocks: a header whose first field can only be a day
# (13-31) before a possible month, or the reverse. Other lines fail within a few characters.
_A_DAY = "(?:1[3-9]|2[0-9]|3[01])"
_A_MONTH = "(?:0?[1-9]|1[0-2])"


def _dated(first: str, second: str) -> re.Pattern[str]:
    date = rf"({first}{_M}[./-]{_M}{second}{_M}[./-]{_M}\d{{1,4}})"
    return re.compile("\n" + _prefix(date, f"(?:{_TIME})"))


_DAY_FIRST = _dated(_A_DAY, _A_MONTH)
_MONTH_FIRST = _dated(_A_MONTH, _A_DAY)
_NOT_YEAR_FIRST = _dated(r"\d{1,2}", r"\d{1,2}")  # a date that needs an order at all

_DIGITS = re.compile(r"\d+")
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:.*?([aApP\u0635\u0645]))?", re.DOTALL)


_FIELD_WIDTH = {1: r"\d{1,2}", 2: r"\d{1,2}", 4: r"\d{4}"}
_PLAIN_DATE = re.compile(r"(\d+)([./-])(\d+)([./-])(\d+)")
_PLAIN_TIME = re.compile(
    r"(\d{1,2}([:.])\d{2}(?:([:.])\d{2})?)(?:( ?|\u202f|\u00a0)([aApP])(\.? ?[mM]\.?))?"
)


def _specialize(m: re.Match[str]) -> re.Pattern[str] | None:
    """A narrower header regex fitted to the file's first header, about twice as fast to split with.

    It fixes the separators, the field widths and the clock style seen in that header, so every
    line it matches is also matched by ``_HEADER_NL``, with the same groups. The converse does
    not hold; ``_Reader`` checks each block for headers it missed and then splits that block
    with the general regex. None when the header is unusual (marks inside, other calendars).
    """
    prefix = m.group(0)
    head, between, after = prefix[: m.start(1)], prefix[m.end(1) : m.start(2)], prefix[m.end(2) :]
    if head.strip(_MARKS) not in ("", "[") or _has_marks(between + m.group(2) + after):
        return None
    date = _PLAIN_DATE.fullmatch(m.group(1))
    clock = _PLAIN_TIME.fullmatch(m.group(2))
    if date is None or clock is None:
        return None
    widths = [_FIELD_WIDTH.get(len(date.group(i))) for i in (1, 3, 5)]
    if None in widths:
        return None
    date_rx = (
        widths[0] + re.escape(date.group(2)) + widths[1] + re.escape(date.group(4)) + widths[2]
    )
    time_rx = r"\d{1,2}" + re.escape(clock.group(2)) + r"\d{2}"
    if clock.group(3):
        time_rx += re.escape(clock.group(3)) + r"\d{2}"
    if clock.group(5):  # 12-hour clock: the same spacing and letter case, either half of the day
        letters = "[AP]" if clock.group(5).isupper() else "[ap]"
        time_rx += re.escape(clock.group(4)) + letters + re.escape(clock.group(6))
    lead = "[\u200e\u200f]?" + ("\\[" if "[" in head else "")
    return re.compile(f"\n{lead}({date_rx}){re.escape(between)}({time_rx}){re.escape(after)}")


def _date_fields(date: str) -> tuple[str, str, str] | None:
    parts = _DIGITS.findall(date)
    if len(parts) != 3:
        return None
    return parts[0], parts[1], parts[2]
