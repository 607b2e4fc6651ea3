"""The layout of a message's first line: date, time, separators and invisible marks.

``_HEADER`` reads one line; ``_HEADER_NL`` the same preceded by a newline, to cut whole
blocks; ``_specialize`` fits a narrower regex to one file's first header.

A time may carry words, before it or after it, as the phone's language writes them: a 12-hour
clock's day period (``PM``, ``p. m.``, ``오후``, ``晚上``, ``ከሰዓት``), whose hours come from CLDR
(``words.day_periods``), or a word of a 24-hour clock (Finnish ``klo``, Thai ``น.``). The header
grammar takes any short run of letters there, and then a line is a header only when those
words are clock words (``known_clock``): a line of a message such as "12/03/2024, from 10:00 -
14:00" stays text. ``hour_of`` decides what a clock word means; one that may mean two hours
makes the time unreadable rather than read wrong.
"""

from __future__ import annotations

import re

from .words.day_periods import HOURS

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
_S = "[ \u00a0\u202f\u2009]"  # space, no-break, narrow no-break (before AM/PM since 2023), thin (Chinese)
# A year: digits, a Buddhist-era year ("2566 BE"), or a Japanese era ("R5", "H31", "令和5");
# other calendars' marks ("AH") are read too, so that the file can be refused by name.
_ERA = "(?:令和|平成|昭和|[A-Za-z]{1,2})"
_YEAR = rf"(?:{_ERA}\d{{1,2}}|\d{{1,4}}(?:{_S}(?:BE|AH|AP))?)"
_DSEP = rf"{_M}[./-]{_M} ?{_M}"  # Korean and Czech write "2023. 3. 18."
_DATE = rf"(?:{_ERA}\d{{1,2}}|\d{{1,4}}){_DSEP}\d{{1,2}}{_DSEP}{_YEAR}"
# Words of the clock: after the time (AM, p. m., Arabic ص/م, Albanian m.d., Amharic ከሰዓት, Thai
# น.), or before it (Japanese 午前, Chinese 晚上, Korean 오후, Finnish klo, Assamese অপৰাহ্ন). A word
# is a run of anything but spaces, digits, brackets and the separators around a header; up to
# three such words, apart by one space ("n tmeddit"); Kodari writes "दपेहरा/संजा".
_WORD = r"[^\s\d\[\]()\-\u2013,:/.][^\s\d\[\]()\-\u2013,:]*"
_WORDS = rf"{_WORD}(?:{_S}{_WORD}){{0,2}}"
# The clock itself: 21:40, 21.40.05, Yoruba 9:5, Occitan 21h40, or Canadian French "21 h 40"
# (iOS "21 h 40 min 05 s").
_HOUR_MINUTE = (
    rf"\d{{1,2}}(?:[:.]\d{{1,2}}(?:[:.]\d{{1,2}})?|{_S}?h{_S}?\d{{2}}(?:{_S}min{_S}\d{{2}}{_S}s)?)"
)
_TIME = rf"(?:{_WORDS}{_S}?)?{_HOUR_MINUTE}(?:{_S}?{_M}{_WORDS})?"
# Android "31/12/2023, 21:40 - ", iOS "[12/31/23, 9:40:05 PM] ", old iOS "13/06/15 10:59:59: ".
_ANDROID_SEP = rf"{_S}[-\u2013]{_S}"
_IOS_SEP = r"(?:\] |: )"
_SEP = rf"(?:\] |{_ANDROID_SEP}|: )"
# The separator of a platform's headers: once the first header has shown the platform, a line
# in the other's layout (a message quoting one) is text of the message it is in.
_SEPS = {None: _SEP, "android": _ANDROID_SEP, "ios": _IOS_SEP}


def _prefix(date: str, time: str, sep: str = _SEP) -> str:
    # Basque joins them as "23/12/31 (21:40)".
    return rf"{_M}\[?{_M}{date}{_M}\.?{_M}(?:{_S}г\.)?[,\u060c]?{_M}{_S}?{_M}\(?{time}\)?{_M}{sep}"


def _prefix_time_first(time: str, date: str, sep: str = _SEP) -> str:
    """Vietnamese iOS: "[21:41:35, 27/3/22] "."""
    return rf"{_M}\[?{_M}{time}{_M}[,\u060c]?{_M}{_S}?{_M}{date}{_M}{sep}"


# One line (used on single lines), and the same grammar preceded by the newline that ends the
# previous line: a literal first character lets the regex engine jump from line start to line
# start in C, so whole decoded blocks are cut (split) or searched without a Python loop.
_HEADER = re.compile(_prefix(f"({_DATE})", f"({_TIME})"))
_HEADER_NL = re.compile("\n" + _prefix(f"({_DATE})", f"({_TIME})"))
# Time first: the groups come (time, date); ``Layout`` reads them back in date, time order.
_HEADER_TF = re.compile(_prefix_time_first(f"({_TIME})", f"({_DATE})"))
_HEADER_NL_TF = re.compile("\n" + _prefix_time_first(f"({_TIME})", f"({_DATE})"))

# Day/month evidence, searched over whole blocks: a header whose first field can only be a day
# (13-31) before a possible month, or the reverse. Other lines fail within a few characters.
_A_DAY = "(?:1[3-9]|2[0-9]|3[01])"
_A_MONTH = "(?:0?[1-9]|1[0-2])"


def _header(time_first: bool, sep: str, nl: str = "") -> re.Pattern[str]:
    """A header of either order, its groups (date, time) or, time first, (time, date)."""
    if time_first:
        return re.compile(nl + _prefix_time_first(f"({_TIME})", f"({_DATE})", sep))
    return re.compile(nl + _prefix(f"({_DATE})", f"({_TIME})", sep))


def _dated(first: str, second: str, time_first: bool = False, sep: str = _SEP) -> re.Pattern[str]:
    """Headers whose date has ``first`` and ``second`` fields; groups ``date`` and ``time``."""
    date = rf"(?P<date>{first}{_DSEP}{second}{_DSEP}{_YEAR})"
    if time_first:
        return re.compile("\n" + _prefix_time_first(f"(?P<time>{_TIME})", date, sep))
    return re.compile("\n" + _prefix(date, f"(?P<time>{_TIME})", sep))


def _short_dates(time_first: bool, sep: str = _SEP) -> re.Pattern[str]:
    """Headers whose date has three fields of one or two digits: groups ``a``, ``b``, ``c``
    and ``time``."""
    date = rf"(?:(?P<a>\d{{1,2}}){_DSEP}(?P<b>\d{{1,2}}){_DSEP}(?P<c>\d{{1,2}})(?!\d))"
    if time_first:
        return re.compile("\n" + _prefix_time_first(f"(?P<time>{_TIME})", date, sep))
    return re.compile("\n" + _prefix(date, f"(?P<time>{_TIME})", sep))


class Layout:
    """The header regexes of one file's layout: date first (most) or time first, and once the
    first header has shown it, one platform's separator only (``platform``; None: either)."""

    def __init__(self, time_first: bool, platform: str | None = None):
        self.time_first = time_first
        self.platform = platform
        sep = _SEPS[platform]
        if platform is None:
            self.header = _HEADER_TF if time_first else _HEADER
            self.header_nl = _HEADER_NL_TF if time_first else _HEADER_NL
        else:
            self.header, self.header_nl = _header(time_first, sep), _header(time_first, sep, "\n")
        self.day_first = _dated(_A_DAY, _A_MONTH, time_first, sep)
        self.month_first = _dated(_A_MONTH, _A_DAY, time_first, sep)
        # A date that needs an order at all.
        self.not_year_first = _dated(r"\d{1,2}", r"\d{1,2}", time_first, sep)
        self.short_dates = _short_dates(time_first, sep)  # dates of three short fields: (a, b, c)

    def date_time(self, m: re.Match[str]) -> tuple[str, str]:
        return (m.group(2), m.group(1)) if self.time_first else (m.group(1), m.group(2))

    def of(self, platform: str) -> Layout:
        """The same layout for one platform's headers only ("android" or "ios")."""
        return _PLATFORM_LAYOUTS[self.time_first, platform]


DATE_FIRST = Layout(False)
TIME_FIRST = Layout(True)
_PLATFORM_LAYOUTS = {
    (time_first, platform): Layout(time_first, platform)
    for time_first in (False, True)
    for platform in ("android", "ios")
}
_DAY_FIRST = DATE_FIRST.day_first
_MONTH_FIRST = DATE_FIRST.month_first
_NOT_YEAR_FIRST = DATE_FIRST.not_year_first

_DIGITS = re.compile(r"\d+")
# The "s" of seconds only after "min" (Canadian French "21 h 40 min 05 s"), never a clock word's
# first letter ("9:05:30 saaku").
_CLOCK = re.compile(
    rf"(\d{{1,2}})(?:[:.]|{_S}?h{_S}?)(\d{{1,2}})"
    rf"(?:(?:[:.]|{_S}min{_S})(\d{{1,2}})(?:(?<=min{_S}\d\d){_S}s\b)?)?"
)
# A word of the clock, once spaces, dots and marks are gone, upper-cased (as ``day_periods``).
_MARKER_TABLE = {ord(c): None for c in f"{_MARKS} .\u00a0\u202f\u2009"}
_AM_HOURS = 0x000FFF  # bit h: the word can stand for hour h of the 24
_PM_HOURS = 0xFFF000
# Words CLDR does not list but exports write: a bare "a"/"p", and the 24-hour clock's words:
# Finnish "klo", Low German "Kl."/"Klock", Thai "น." and Upper Sorbian "hodź." (CLDR's time
# patterns of those languages).
_MORE_HOURS = {"A": _AM_HOURS, "P": _PM_HOURS}
_CLOCK_WORDS = frozenset({"KLO", "KL", "KLOCK", "น", "HODŹ"})
# Digits of other scripts (Arabic-Indic, Persian, Devanagari, Bengali, Thai, Myanmar, ...) ->
# ASCII: the zero of every script's decimal digits in Unicode.
_ZEROS = (
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0,
    0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0,
    0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0,
    0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0,
    0x16A60, 0x16AC0, 0x16B50, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
)
_DIGIT_TABLE = {zero + i: ord("0") + i for zero in _ZEROS for i in range(10)}


def _clock_word(time: str) -> str:
    """The words of a time, normalized: "9:40 p. m." -> "PM", "21:40" -> ""."""
    return _CLOCK.sub("", time, count=1).translate(_MARKER_TABLE).upper()


# Korean writes the date year first, short years too (CLDR "yy. M. d."): its clock words tell
# a chat too short to tell by its dates.
_YEAR_FIRST_WORDS = frozenset({"오전", "오후"})


def year_first_clock(time: str) -> bool:
    """Whether a time's words are those of a language that writes short dates year first."""
    return _clock_word(time) in _YEAR_FIRST_WORDS


def known_clock(time: str) -> bool:
    """Whether the words of a time, if any, are clock words: a line whose time carries other
    words is no header. Remembered per time as written (``_KNOWN_CAP`` of them)."""
    known = _KNOWN.get(time)
    if known is None:
        if len(_KNOWN) >= _KNOWN_CAP:
            _KNOWN.clear()
        word = _clock_word(time)
        known = _KNOWN[time] = not word or word in _CLOCK_WORDS or word in _MORE_HOURS or word in HOURS
    return known


_KNOWN: dict[str, bool] = {}
_KNOWN_CAP = 10_000


def first_known(pattern: re.Pattern[str], text: str, time_group: int | str = "time") -> re.Match[str] | None:
    """The first match of a header pattern whose clock words (group ``time_group``) are known."""
    for m in pattern.finditer(text):
        if known_clock(m.group(time_group)):
            return m
    return None


def split_headers(pattern: re.Pattern[str], text: str, time_group: int) -> list[str]:
    """``pattern.split(text)``, but a match whose clock words are not clock words stays text.

    The parts are [before, g1, g2, rest, g1, g2, rest, ...] as ``split`` gives them; the time
    is group ``time_group``. Most texts hold no such match, and are split in C.
    """
    parts = pattern.split(text)
    if all(known_clock(t) for t in set(parts[time_group::3])):
        return parts
    kept = [m for m in pattern.finditer(text) if known_clock(m.group(time_group))]
    if not kept:
        return [text]
    out = [text[: kept[0].start()]]
    for m, after in zip(kept, [*kept[1:], None], strict=True):
        out += [m.group(1), m.group(2), text[m.end() : after.start() if after else len(text)]]
    return out


def hour_of(time: str, hour: int) -> int | None:
    """The hour of the 24 of a time whose clock shows ``hour``; None if its words are unknown
    or cannot stand for that hour (13 PM, or 7 in a word of the afternoon only)."""
    word = _clock_word(time)
    if not word or word in _CLOCK_WORDS:
        return hour if hour < 24 else None
    hours = _MORE_HOURS.get(word) or HOURS.get(word)
    if hours is None or hour > 12:
        return None
    low = hour % 12
    fits = [h for h in (low, low + 12) if hours >> h & 1]
    return fits[0] if len(fits) == 1 else None


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
    if prefix.isascii():  # ASCII digits only: a narrower class, quicker to test than any digit
        date_rx, time_rx = date_rx.replace(r"\d", "[0-9]"), time_rx.replace(r"\d", "[0-9]")
    if clock.group(5):  # 12-hour clock: the same spacing and letter case, either half of the day
        letters = "[AP]" if clock.group(5).isupper() else "[ap]"
        time_rx += re.escape(clock.group(4)) + letters + re.escape(clock.group(6))
    lead = "[\u200e\u200f]?" + ("\\[" if "[" in head else "")
    return re.compile(f"\n{lead}({date_rx}){re.escape(between)}({time_rx}){re.escape(after)}")


_FIELD = re.compile(rf"{_ERA}?\d+(?:{_S}(?:BE|AH|AP))?")


def _date_fields(date: str) -> tuple[str, str, str] | None:
    """The three fields of a date as written, an era or calendar mark kept with its year."""
    parts = _FIELD.findall(date.translate(_MARK_TABLE))
    if len(parts) != 3:
        return None
    return parts[0], parts[1], parts[2]
