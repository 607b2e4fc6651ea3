"""The time of a message header: the wall-clock date and time as written, read in the owner's
zone, with the caches that make a million headers cheap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from .grammar import _CLOCK, _date_fields, hour_of

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A header's wall-clock time on a night the clocks changed (``_Clock.odd``, ``changes``).
REPEATED = "repeated_hour"  # went back: the time came twice (read in its first pass)
SECOND_PASS = "repeated_hour_second_pass"  # ... read in its second pass (the chat's times went back)
SKIPPED = "skipped_hour"  # went forward: the time never came (placed at the moment they went forward)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_CACHE_CAP = 100_000  # distinct dates/clocks/hours remembered; a hostile file cannot grow them
_MISS = object()
# Days (since 1970) too near the ends of datetime's calendar for offset arithmetic to be safe.
_FIRST_DAY = datetime(1, 1, 2).toordinal() - _EPOCH_ORDINAL
_LAST_DAY = datetime(9999, 12, 30).toordinal() - _EPOCH_ORDINAL
# Zones that are UTC all year: read without any offset lookups.
_UTC_KEYS = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}
)


# Japanese eras: the Gregorian year of each era's first year (iOS writes "R5", "H31", "令和5").
_ERAS = {"R": 2019, "令和": 2019, "H": 1989, "平成": 1989}
# Years of the Persian (solar hijri) and Islamic calendars while phones wrote chats: another
# calendar's, never a Gregorian year of a chat.
_OTHER_CALENDAR_YEARS = range(1300, 1600)
# Buddhist-era years (Gregorian + 543) of a Thai phone, written with or without "BE".
_BUDDHIST_YEARS = range(2500, 2700)


def _split_year(field: str) -> tuple[str, str, str]:
    """(era, digits, calendar mark) of a year field: "R5" -> ("R", "5", "")."""
    i = 0
    while i < len(field) and not field[i].isdigit():
        i += 1
    j = i
    while j < len(field) and field[j].isdigit():
        j += 1
    return field[:i], field[i:j], field[j:].strip(" \u00a0\u202f")


def _year(field: str) -> int | None:
    """The Gregorian year of a year field; None when it is in a calendar not read here."""
    era, digits, mark = _split_year(field)
    n = int(digits)
    if era:
        base = _ERAS.get(era.upper() if era.isascii() else era)
        return None if base is None or mark else base + n - 1
    if mark:
        return n - 543 if mark == "BE" else None
    if len(digits) == 2:
        return 2000 + n
    if len(digits) != 4:
        return None
    if n in _BUDDHIST_YEARS:
        return n - 543
    return None if n in _OTHER_CALENDAR_YEARS else n


def _is_year(field: str) -> bool:
    era, digits, mark = _split_year(field)
    return bool(era or mark) or len(digits) == 4


def unreadable_calendar(date: str) -> bool:
    """Whether a date's year is in a calendar this reader does not know (Persian, Islamic, an
    era before WhatsApp)."""
    fields = _date_fields(date)
    if fields is None:
        return False
    a, _, c = fields
    year = a if _is_year(a) else c
    return _is_year(year) and _year(year) is None


def _ymd(date: str, order: str | None) -> tuple[int, int, int] | None:
    fields = _date_fields(date)
    if fields is None:
        return None
    a, b, c = fields
    if _is_year(a) and not _is_year(c) or order == "ymd" and len(a) == 2 and a.isdecimal():
        y, mo, d = _year(a), int(b), int(c)
    elif len(a) <= 2 and a.isdecimal() and (_is_year(c) or len(c) == 2):  # not "R5/1/2023": a year at both ends
        y = _year(c)
        if order == "dmy":
            d, mo = int(a), int(b)
        elif order == "mdy":
            mo, d = int(a), int(b)
        else:
            return None
    else:
        return None
    if y is None:
        return None
    try:
        datetime(y, mo, d)
    except ValueError:
        return None
    return y, mo, d


def _clock(sec: int) -> tuple[int, timedelta, str]:
    h, r = divmod(sec, 3600)
    return sec, timedelta(seconds=sec), f"T{h:02d}{r // 60:02d}"


def _seconds_of_day(time: str) -> int | None:
    m = _CLOCK.search(time)
    if m is None:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    s = int(m.group(3)) if m.group(3) else 0
    h = hour_of(time, h)
    if h is None or mi > 59 or s > 59:
        return None
    return h * 3600 + mi * 60 + s


class _Clock:
    """Reads header times for one file: its day/month order, in the owner's zone.

    Caches (bounded by ``_CACHE_CAP``):
      days[date]   (local day number, UTC instant of its local midnight, UTC epoch second of
                   that midnight, "YYYYMMDD") when the whole local day has one UTC offset, with
                   the middle two None when it holds a transition; () for an impossible date.
      clocks[time] (second of the day, as a timedelta, "THHMM"), or () for an impossible
                   time. The two texts make the key's minute: the time as written, in any zone.
    """

    __slots__ = ("order", "tz", "is_utc", "days", "clocks", "offsets", "odd", "first_pass", "back")

    def __init__(self, order: str | None, tz: tzinfo):
        self.order = order
        self.tz = tz
        self.is_utc = tz is UTC or getattr(tz, "key", None) in _UTC_KEYS
        self.days: dict[str, tuple] = {}
        self.clocks: dict[str, tuple] = {}
        self.offsets: dict[int, int | None] = {}
        # What the last reading's wall-clock time was on a night the clocks changed: REPEATED (it
        # came twice; read as its first pass), SECOND_PASS (... read as its second), SKIPPED (it
        # never came; placed at the moment the clocks went forward), or None.
        self.odd: str | None = None
        # The night the clocks went back: the last time read in the first pass of the hour that
        # came twice (local day, local second), and the day whose times went back within it.
        self.first_pass: tuple[int, int] | None = None
        self.back: int | None = None

    def read(self, date: str, time: str) -> tuple[datetime, str] | None:
        """(UTC instant, key minute "YYYYMMDDTHHMM" as written) of a header; None if impossible.

        A day with one offset throughout and a known clock take two dict lookups.
        """
        d = self.days.get(date)
        c = self.clocks.get(time)
        if d and c and d[1] is not None:
            self.odd = None
            return d[1] + c[1], d[3] + c[2]
        return self._stamp(date, time)

    def _stamp(self, date: str, time: str) -> tuple[datetime, str] | None:
        """(UTC instant, the key minute "YYYYMMDDTHHMM" of the local time) of a wall-clock date
        and time, or None if impossible."""
        self.odd = None
        d = self.days.get(date)
        if d is None:
            if len(self.days) >= _CACHE_CAP:
                self.days.clear()
            ymd = _ymd(date, self.order)
            d = self.days[date] = () if ymd is None else self._day(ymd)
        c = self.clocks.get(time)
        if c is None:
            if len(self.clocks) >= _CACHE_CAP:
                self.clocks.clear()
            sec = _seconds_of_day(time)
            c = self.clocks[time] = () if sec is None else _clock(sec)
        if not d or not c:
            return None
        if d[1] is not None:
            return d[1] + c[1], d[3] + c[2]
        # a day with a transition (or at the ends of the calendar): second by second
        local = d[0] * 86400 + c[0]
        offset = self._offset(local)
        if offset is None:
            return None
        try:
            at = _EPOCH + timedelta(seconds=local - offset)
        except OverflowError:
            return None
        # The offset is the first pass's (fold 0); the second pass's differs only for a time the
        # clocks went back over (it came twice) or forward over (it never came).
        later = self._exact_offset(local, fold=1)
        if later is not None and later != offset:
            if offset < later:  # never came: at the moment the clocks went forward, so the
                self.odd = SKIPPED  # chat's order holds (01:59, 02:30, then 03:01)
                change = change_instant(local - later, local - offset, self.tz)
                if change is None:
                    return None
                at = _EPOCH + timedelta(seconds=change)
            elif self._second_pass(d[0], local):
                self.odd = SECOND_PASS
                at = _EPOCH + timedelta(seconds=local - later)
            else:
                self.odd = REPEATED
        return at, d[3] + c[2]

    def _second_pass(self, day: int, local: int) -> bool:
        """Whether a time of the hour that came twice is read in its second pass.

        A chat lists its messages in the order they were written. Once its times go back within
        that hour (02:50, then 02:10), the clocks have gone back: that message and the later ones
        in the hour are in its second pass. Before, nothing tells: the first pass.
        """
        if self.back == day:
            return True
        first = self.first_pass
        if first is not None and first[0] == day and local < first[1]:
            self.back = day
            return True
        self.first_pass = (day, local)
        return False

    def _day(self, ymd: tuple[int, int, int]) -> tuple:
        day = datetime(*ymd).toordinal() - _EPOCH_ORDINAL
        compact = f"{ymd[0]:04d}{ymd[1]:02d}{ymd[2]:02d}"
        if not _FIRST_DAY < day < _LAST_DAY:
            return day, None, None, compact
        if self.is_utc:
            return day, _EPOCH + timedelta(days=day), day * 86400, compact
        start = day * 86400
        offset = self._exact_offset(start)
        if offset is None or self._exact_offset(start + 86399, fold=1) != offset or any(
            self._exact_offset(start + s) != offset for s in (21600, 43200, 64800, 86399)
        ):  # (fold 1: the hour before midnight may come twice)
            return day, None, None, compact
        return day, _EPOCH + timedelta(seconds=start - offset), start - offset, compact

    def _offset(self, local: int) -> int | None:
        """UTC offset in seconds of a local wall-clock time (seconds since 1970-01-01 local).

        Read once per local hour: an hour with the same offset at its first and last second has
        it throughout. An hour holding a transition is looked up second by second.
        """
        hour = local // 3600
        offset = self.offsets.get(hour, _MISS)
        if offset is _MISS:
            if len(self.offsets) >= _CACHE_CAP:
                self.offsets.clear()
            first = self._exact_offset(hour * 3600)
            offset = first if first == self._exact_offset(hour * 3600 + 3599) else None
            self.offsets[hour] = offset
        if offset is None:
            return self._exact_offset(local)
        return offset

    def _exact_offset(self, local: int, fold: int = 0) -> int | None:
        try:
            wall = (_EPOCH_NAIVE + timedelta(seconds=local)).replace(tzinfo=self.tz, fold=fold)
            delta = wall.utcoffset()
        except (OverflowError, ValueError):
            return None
        return int(delta.total_seconds()) if delta is not None else 0


def offset_at(instant: int, tz: tzinfo) -> int | None:
    """The UTC offset in seconds of ``tz`` at a UTC epoch second."""
    delta = datetime.fromtimestamp(instant, tz).utcoffset()
    return None if delta is None else int(delta.total_seconds())


def change_instant(lo: int, hi: int, tz: tzinfo) -> int | None:
    """The first UTC epoch second after ``lo`` and at most ``hi`` with another offset than
    ``lo``'s: the moment the clocks changed between the two. None past datetime's range."""
    try:
        before = offset_at(lo, tz)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if offset_at(mid, tz) == before:
                lo = mid
            else:
                hi = mid
    except (OverflowError, ValueError, OSError):
        return None
    return hi
