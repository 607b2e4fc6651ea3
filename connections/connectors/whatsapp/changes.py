"""The nights the clocks change, said on the import's receipt.

A chat writes wall-clock times without a zone, and Ownerhub reads them in the owner's zone
(``clock``). On the night the clocks go back an hour comes twice: a time in it is read in its
first pass, until the chat's times go back within that hour (02:50, then 02:10); from there on
they are read in its second pass. On the night they go forward an hour never comes: a time in it is
placed at the moment the clocks went forward (02:30 at 03:00 CEST), so it stays between the
messages before and after it in the chat. Keys do not change either way (they hold the time as
written, ``keys``), and messages of one minute keep the chat's order (``seq``).

``ClockChanges`` counts the messages at such times, in the chat's order, and says so in one note
per kind: how many, the first, and what Ownerhub did.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from ..base import BatchFacts
from .clock import (
    _EPOCH_NAIVE,
    _EPOCH_ORDINAL,
    REPEATED,
    SECOND_PASS,
    SKIPPED,
    _seconds_of_day,
    _ymd,
    change_instant,
)

_NIGHTS_CAP = 1000  # distinct dates remembered per kind


class ClockChanges:
    """Messages whose wall-clock time came twice or never, by kind: [count, first date, first
    time, the dates met, how many of them were read in the second pass, the first such time,
    whether the first was read in the second pass] (a second pass's message is counted under
    ``REPEATED``)."""

    __slots__ = ("tz", "order", "seen")

    def __init__(self, tz: tzinfo, order: str | None):
        self.tz, self.order = tz, order
        self.seen: dict[str, list] = {}

    def add(self, kind: str, date: str, time: str) -> None:
        second = kind == SECOND_PASS
        if second:
            kind = REPEATED
        got = self.seen.get(kind)
        if got is None:
            got = self.seen[kind] = [1, date, time, {date}, 0, None, second]
        else:
            got[0] += 1
            if len(got[3]) < _NIGHTS_CAP:
                got[3].add(date)
        if second:
            got[4] += 1
            got[5] = got[5] or time

    def note(self, facts: BatchFacts) -> None:
        """One warning per kind met (``clock.REPEATED``, ``clock.SKIPPED``)."""
        for kind, (n, date, time, dates, later, back, first_later) in self.seen.items():
            detail = self._sentence(kind, n, date, time, len(dates) - 1, later, back, first_later)
            if detail:
                facts.warn(kind, detail)

    def _sentence(
        self, kind: str, n: int, date: str, time: str, more: int, later: int = 0,
        back: str | None = None, first_later: bool = False,
    ) -> str | None:
        ymd, second = _ymd(date, self.order), _seconds_of_day(time)
        if ymd is None or second is None:
            return None
        local = (datetime(*ymd).toordinal() - _EPOCH_ORDINAL) * 86400 + second
        window = _window(local, self.tz)
        if window is None:
            return None
        start, end = window
        zone = getattr(self.tz, "key", None) or str(self.tz)
        written = datetime(*ymd)  # a wall-clock day of the chat: no zone to move it by
        day = f"{written.day} {written:%b %Y}"  # as the owner's pages write a day ("27 Oct 2024")
        first = f"{day} at {_hhmm(local)}"  # as written: a time that never came has no zone
        if kind == REPEATED:  # it came twice: which pass, by its zone ("02:10 CEST")
            first = f"{first} {_zone_at(local, self.tz, first_later)}"
        messages = f"{n:,} message{'s' if n != 1 else ''} {'was' if n == 1 else 'were'}"
        them = "it" if n == 1 else "them"
        span, window = end - start, f"{_hhmm(start)}–{_hhmm(end)}"
        nights = f"on {day}" + (
            f" and {more:,} more night{'s' if more != 1 else ''}" if more else ""
        )
        if kind == REPEATED and later:
            others = n - later
            second = _seconds_of_day(back or time)
            at = local if second is None else local - local % 86400 + second
            went_back = f"{_hhmm(at)} {_zone_at(at, self.tz, True)}"
            return (
                f"{messages} written in {'an hour' if span == 3600 else _minutes(span)} that came "
                f"twice when the clocks went back in {zone} ({window} {nights}). The chat's times go "
                f"back within that hour (to {went_back}), so Ownerhub placed "
                f"{'the one' if later == 1 else f'the {later:,}'} from there on in the second "
                f"{window} and {'the other' if others == 1 else f'the other {others:,}'} in the "
                f"first. The first: {first}."
            )
        if kind == REPEATED:
            return (
                f"{messages} written in {'an hour' if span == 3600 else _minutes(span)} that came "
                f"twice when the clocks went back in {zone} ({window} {nights}). The chat does not "
                f"say which time, so Ownerhub placed {them} in the first {window}. "
                f"The first: {first}."
            )
        if kind == SKIPPED:
            return (
                f"{messages} written at a time that never came in {zone}: the clocks went forward "
                f"from {_hhmm(start)} to {_hhmm(end)} {nights}, so Ownerhub placed {them} at "
                f"{_hhmm(end)} {_zone_at(end, self.tz, False)}, the moment they went forward, "
                f"keeping the chat's order. The first: {first}, as the chat writes it."
            )
        return None


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} minutes"


def _hhmm(local: int) -> str:
    return f"{local % 86400 // 3600:02d}:{local % 3600 // 60:02d}"


def _offset(local: int, tz: tzinfo, fold: int) -> int | None:
    delta = (_EPOCH_NAIVE + timedelta(seconds=local)).replace(tzinfo=tz, fold=fold).utcoffset()
    return None if delta is None else int(delta.total_seconds())


def _zone_at(local: int, tz: tzinfo, fold: bool) -> str:
    """The zone's short name at a wall-clock time, in the pass ``fold`` says ("CEST", "CET");
    one that has none ("+14", "-0330") as the owner's pages write it: 'UTC+14', 'UTC-03:30'."""
    name = (_EPOCH_NAIVE + timedelta(seconds=local)).replace(tzinfo=tz, fold=int(fold)).tzname() or ""
    if name[:1] not in ("+", "-") or not name[1:].isdigit():
        return name
    sign, digits = name[0], name[1:]
    return f"UTC{sign}{int(digits[:2])}" + (f":{digits[2:]}" if digits[2:].strip("0") else "")


def _window(local: int, tz: tzinfo) -> tuple[int, int] | None:
    """(start, end) in local seconds of the wall-clock span that came twice or never around
    ``local``: the change's instant, found between the two readings of ``local``, plus each
    offset. None if ``local`` is no such time."""
    try:
        early, late = _offset(local, tz, 0), _offset(local, tz, 1)
        if early is None or late is None or early == late:
            return None
    except (OverflowError, ValueError):
        return None
    hi = change_instant(*sorted((local - early, local - late)), tz)  # the new offset's first instant
    if hi is None:
        return None
    return hi + min(early, late), hi + max(early, late)
