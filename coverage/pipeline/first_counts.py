"""A preview's measure, counted while its rows are staged: staging is not read a second time.

A preview measures what committing would add (``landing.measure_staged``): one grouped read of
every staged row, and one more for each stream's reach (``streams.stream_coverage``). When the
source holds no record yet, every staged row is new (a key the file repeats is staged once), and
those two reads only count again what the staging pass saw (issue 15: 0.5 s of a 4.4 s preview of 300k
points). ``RowCounts`` counts it then, each chunk as staging writes it: rows per day, slot (an
hour, or a quarter hour: ``slots``), stream and media state, and each stream's first and last
instant.

A key that comes again is counted once, as staging keeps only its first row. Staging says how
many rows of a chunk it kept; when it kept fewer than the chunk holds, counting drops the repeats
it can see: those within the chunk, and those of the last ``KEYS_CARRIED`` keys of the chunk
before (a repeat usually follows its original closely). ``measure`` gives the very ``Measure``
the SQL would, through the same ``landing.add_groups``; ``None`` whenever it cannot be sure of
that: a repeat came from further back, the owner's slot length changed meanwhile, or the groups
outgrew ``MOST_GROUPS`` (a chat spread over decades: memory stays flat, the preview reads
staging as before).

On the databases of ``COUNTED_HELD`` (SQLite), a source that already holds records (a re-import,
an export made again) is counted the same way, with each row's holder: as staging writes a chunk,
its keys are looked up in the records (``held_keys.HeldKeys``: one statement a chunk, while the
parser reads the next), and a held row is counted in its group with the import that first
brought it, as the SQL groups it. Those counts stand only if the source stayed as it was
meanwhile; after a record written to it by anything else (a phone's push), or records taken
away, the preview reads staging as before. So does a source that held nothing when staging began
but holds records by its end, and on PostgreSQL any source that holds records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from itertools import compress
from operator import attrgetter, itemgetter

from django.db import connection as db

from . import slots
from .held_keys import HeldKeys
from .landing import GroupNote, add_groups, duplicate_sources_of, held_apart, holds_records, widen
from .measures import Measure
from .streams import utc_instant
from .summaries import day_text

# Databases on which a source that holds records is counted as staged (``HeldKeys``). On PostgreSQL
# the lookups a chunk at a time measured slower than one grouped read after (a 1M-point re-import's
# preview 12.6 s against 11.2 s); on SQLite faster (6.2–6.4 s against 7.8–8.3 s).
COUNTED_HELD = frozenset({"sqlite"})
MOST_GROUPS = 100_000  # groups held (about 7 MB) before counting gives up for the SQL's measure
KEYS_CARRIED = 1_000  # keys of a chunk's end held for the next one: a repeat often follows its original
MISSING = frozenset(("missing", "omitted"))  # media states whose slots the measure lists

_HOUR_TEXT = tuple(f"{h:02d}" for h in range(24))
_PART_TEXT = (  # a slot's place in its day -> its text after the day: "HH" (hours), "HH:MM" (quarter hours)
    {h: _HOUR_TEXT[h] for h in range(24)},
    {q: f"{_HOUR_TEXT[q // 4]}:{15 * (q % 4):02d}" for q in range(96)},
)
NO_PART = 96  # the place of a group counted by day only
MEDIA_CODES = {"": 0, "attached": 1, "missing": 2, "omitted": 3}  # a group's media state in its code
_MEDIA_OF = {code: state for state, code in MEDIA_CODES.items()}
_HOUR, _MINUTE = attrgetter("hour"), attrgetter("minute")
_STREAM, _KEY, _TIME, _DAY, _MEDIA = (itemgetter(i) for i in (0, 1, 2, 3, 5))  # of a staged row
_NEW = "".__eq__  # of a row's holder as ``HeldKeys.first_batches`` gives it: "" for none


class RowCounts:
    """Counts of staged rows (``staging`` shows it each chunk it writes), for ``measure``.

    ``by_slot``: group by slot as well as by day (the preview does when the source has holes);
    ``minutes``: the slot length the owner's zone needs (``slots.minutes_for``); ``text_times``:
    the rows carry SQLite's naive UTC text, else aware UTC datetimes; ``holders``: the source
    held records as staging began, whose keys each chunk's rows are looked up in.

    A chunk is counted a column at a time by C code (``map``, ``Counter`` of a column's time
    prefix, ``compress``, ``min`` and ``max``): a Python loop a row cost as much as the SQL it
    replaces. The chunk's groups, far fewer than its rows, are then added to ``groups`` in Python.
    """

    def __init__(self, *, by_slot: bool, minutes: int, text_times: bool, holders: HeldKeys | None = None):
        self.by_slot, self.minutes, self.text_times = by_slot, minutes, text_times
        self.holders = holders
        # Per stream, rows per group, a group coded as one integer (``_add``): about 70 bytes a
        # group, where a tuple of day, slot, stream and media took some 250.
        self.groups: dict[str, dict[int, int]] | None = {}
        self.held: dict[str, dict[tuple[int, str], int]] = {}  # the same, of held rows: (code, holder's id) -> rows
        self.size = 0  # groups held, over all streams
        self.missing: set[int] = set()  # day * 97 + slot place of rows with media missing (by day only)
        self.reach: dict[str, list] = {}  # stream -> [first, last] instant as staged
        self.new_reach: list = []  # [first, last] instant of rows no held record has (``holders`` only)
        self.last_keys: set[tuple[str, str]] = set()  # the previous chunk's last (stream, key): a repeat across chunks
        self._days: dict[str, int] = {}  # SQLite's day text -> ordinal

    def staged(self, rows: list[tuple], kept: int) -> None:
        """Count a chunk of rows ``(stream, key, event_at, event_day, payload, media)`` staging has just
        written, of which it kept ``kept`` (the first row of each key)."""
        if self.groups is None or not rows:
            return
        earlier = self.last_keys
        self.last_keys = {(row[0], row[1]) for row in rows[-KEYS_CARRIED:]}
        if kept < len(rows):  # a repeat: count each key's first row, as staging kept
            rows = _firsts(rows, earlier)
            if len(rows) != kept:  # the first of a key came further back than ``earlier`` reaches
                self.give_up()
                return
        if rows and self.holders is not None:
            firsts = self.holders.first_batches(rows)
            if firsts.count("") < len(firsts):
                held = list(map(bool, firsts))
                self._count_held(list(compress(rows, held)), list(compress(firsts, held)))
                rows = list(compress(rows, map(_NEW, firsts)))
            if rows:
                widen(self.new_reach, min(map(_TIME, rows)), max(map(_TIME, rows)))
        if rows:
            self._count(rows)
        if self.size + len(self.missing) > MOST_GROUPS:
            self.give_up()

    def _count_held(self, rows: list[tuple], firsts: list[str]) -> None:
        """Count rows the source holds a record of, each with the import that first brought it (its id as text)."""
        streams, media = list(map(_STREAM, rows)), list(map(_MEDIA, rows))
        for stream in set(streams):
            its = list(compress(rows, map(stream.__eq__, streams)))
            _widen(self.reach, stream, min(map(_TIME, its)), max(map(_TIME, its)))
        for (prefix, stream, state, first), n in Counter(zip(self._prefixes(rows, self.by_slot), streams, media,
                                                             firsts, strict=True)).items():
            self._add(prefix, stream, state, n, first)
        if not self.by_slot:
            self._note_missing([row for row in rows if row[5]])

    def _count(self, rows: list[tuple]) -> None:
        streams, media = list(map(_STREAM, rows)), list(map(_MEDIA, rows))
        stated = list(compress(rows, media)) if media.count("") < len(media) else []  # rows with media
        if streams.count(streams[0]) == len(streams):
            stream = streams[0]
            _widen(self.reach, stream, min(map(_TIME, rows)), max(map(_TIME, rows)))
            plain = Counter(self._prefixes(rows, self.by_slot))  # all its rows, less those with media below
            for (prefix, state), n in Counter(zip(self._prefixes(stated, self.by_slot), map(_MEDIA, stated),
                                                  strict=True)).items():
                plain[prefix] -= n
                self._add(prefix, stream, state, n)
            for prefix, n in plain.items():
                if n:
                    self._add(prefix, stream, "", n)
        else:
            for stream in set(streams):
                its = list(compress(rows, map(stream.__eq__, streams)))
                _widen(self.reach, stream, min(map(_TIME, its)), max(map(_TIME, its)))
            for (prefix, stream, state), n in Counter(zip(self._prefixes(rows, self.by_slot), streams, media,
                                                          strict=True)).items():
                self._add(prefix, stream, state, n)
        if not self.by_slot and stated:
            self._note_missing(stated)

    def _note_missing(self, stated: list[tuple]) -> None:
        """Grouped by day: the slots of rows with media missing are listed apart."""
        for prefix in self._prefixes(list(compress(stated, map(MISSING.__contains__, map(_MEDIA, stated)))), True):
            day, part = self._day_part(prefix)
            self.missing.add(day * 97 + part)

    def _add(self, prefix, stream: str, media: str, n: int, first: str | None = None) -> None:
        if self.groups is None:  # given up earlier in this chunk
            return
        day, part = self._day_part(prefix)
        state = MEDIA_CODES.get(media)
        if state is None:  # a media state the codes do not know: the SQL counts it
            self.give_up()
            return
        code = (day * 97 + (part if self.by_slot else NO_PART)) * 4 + state
        if first is not None:
            code = (code, first)
        whole = self.groups if first is None else self.held
        per = whole.get(stream)
        if per is None:
            per = whole[stream] = {}
        n_before = per.get(code)
        if n_before is None:
            self.size += 1
            per[code] = n
        else:
            per[code] = n_before + n

    def _prefixes(self, rows: list[tuple], by_slot: bool) -> Iterator:
        """Each row's time cut as finely as its group needs: the slot's hour, or its minute in a
        quarter-hour zone (``by_slot``), else the day. SQLite: a prefix of its text; else the day
        (ordinal), or (day, hour[, minute])."""
        if self.text_times:
            cut = (16 if self.minutes != slots.HOUR else 13) if by_slot else 10
            return map(itemgetter(slice(0, cut)), map(_TIME, rows))
        if not by_slot:
            return map(_DAY, rows)
        times = list(map(_TIME, rows))
        if self.minutes == slots.HOUR:
            return zip(map(_DAY, rows), map(_HOUR, times), strict=True)
        return zip(map(_DAY, rows), map(_HOUR, times), map(_MINUTE, times), strict=True)

    def _day_part(self, prefix) -> tuple[int, int]:
        """The UTC day (ordinal) of a prefix, and its slot's place in the day: the hour, or the
        quarter hour (0–95) in a quarter-hour zone; ``NO_PART`` for a prefix of a day only."""
        if type(prefix) is int:
            return prefix, NO_PART
        if type(prefix) is tuple:  # (day, hour) or (day, hour, minute)
            day, hour, minute = prefix[0], prefix[1], prefix[-1]
        else:
            day = self._days.get(prefix[:10])
            if day is None:
                if len(self._days) >= 4096:  # a few thousand days at a time: a chat may span a century
                    self._days.clear()
                day = self._days[prefix[:10]] = date.fromisoformat(prefix[:10]).toordinal()
            if len(prefix) == 10:
                return day, NO_PART
            hour, minute = int(prefix[11:13]), int(prefix[14:16] or 0)
        return day, hour if self.minutes == slots.HOUR else hour * 4 + minute // 15

    def give_up(self) -> None:
        """Count no more: the preview reads staging instead."""
        self.groups, self.held, self.size = None, {}, 0
        self.missing, self.reach, self.last_keys, self.new_reach = set(), {}, set(), []

    def measure(self, connection_id: int, batch_id: int = 0, note: GroupNote | None = None) -> Measure | None:
        """The measure of the counted rows, or None: see the module doc. ``batch_id`` and ``note``
        as ``landing.measure_staged`` takes them (``note`` is told each group of a source that held records)."""
        if self.groups is None:
            return None
        changed = holds_records(connection_id) if self.holders is None else not self.holders.unchanged()
        if changed:  # records came (or went) while the rows were staged
            return None
        tz = slots.zone_for_connection(connection_id)
        minutes = slots.minutes_for(tz)
        if minutes != self.minutes:
            return None
        measure = Measure(slot_minutes=minutes, zone=tz, by_slot=self.by_slot, held=self.holders is not None)
        groups = [(code, stream, n, None) for stream, per in self.groups.items() for code, n in per.items()]
        groups += [(code, stream, n, int(first)) for stream, per in self.held.items() for (code, first), n in per.items()]
        groups.sort(key=itemgetter(0, 1))  # in day order, as the SQL's
        rows = (self._group(code, stream, n, first) for code, stream, n, first in groups)
        if self.holders is None:
            add_groups(measure, ((*row[:5], row[4]) for row in rows))  # every row new
        else:
            held_by: dict[int, int] = {}
            add_groups(measure, held_apart(rows, held_by, batch_id, note))
            measure.new_reach = list(self.new_reach)
            measure.duplicate_sources = duplicate_sources_of(sorted(held_by.items()))
        if not self.by_slot and any(measure.staged_media.get(m) for m in MISSING):
            measure.media_slots = sorted(self._slot(*divmod(place, 97)) for place in self.missing)
        return measure

    def _group(self, code: int, stream: str, n: int, first: int | None) -> tuple:
        """A group as the SQL gives it: (day, slot or None, stream, media, staged, holder or None)."""
        place, state = divmod(code, 4)
        day, part = divmod(place, 97)
        return day, self._slot(day, part) if part != NO_PART else None, stream, _MEDIA_OF[state], n, first

    def _slot(self, day: int, part: int) -> str:
        """A slot's key (``slots``): "2024-03-03T10", or "2024-03-03T10:45" in a quarter-hour zone."""
        return f"{day_text(day)}T{_PART_TEXT[self.minutes != slots.HOUR][part]}"

    def stream_coverage(self) -> dict[str, dict]:
        """``streams.stream_coverage`` of the counted rows (call it only when ``measure`` gave one)."""
        counted = {stream: sum(per.values()) for stream, per in self.groups.items()}
        for stream, per in self.held.items():
            counted[stream] = counted.get(stream, 0) + sum(per.values())
        return {
            stream: {"count": counted[stream], "earliest": utc_instant(first).isoformat(),
                     "latest": utc_instant(last).isoformat()}
            for stream, (first, last) in sorted(self.reach.items())
        }


def _firsts(rows: list[tuple], earlier: set[tuple[str, str]]) -> list[tuple]:
    """The rows whose (stream, key) neither came before in ``rows`` nor is in ``earlier``.

    A dict built in C from the rows backwards maps each key to its first row's place."""
    streams = list(map(_STREAM, rows))
    if streams.count(streams[0]) == len(streams):  # one stream: its keys alone, no pair a row
        keys = list(map(_KEY, rows))
        earlier = {key for stream, key in earlier if stream == streams[0]}
    else:
        keys = list(zip(streams, map(_KEY, rows), strict=True))
    first = dict(zip(reversed(keys), range(len(rows) - 1, -1, -1), strict=True))
    for key in earlier:
        first.pop(key, None)
    return list(map(rows.__getitem__, sorted(first.values())))


def _widen(reach: dict[str, list], stream: str, first, last) -> None:
    widen(reach.setdefault(stream, []), first, last)


def counts_for(connection_id: int, *, by_slot: bool, text_times: bool) -> RowCounts:
    """A ``RowCounts`` for a preview into the connection, with its owner's slot length; made before
    staging begins (when the source holds records, what they are is noted now: ``HeldKeys``)."""
    minutes = slots.minutes_for(slots.zone_for_connection(connection_id))
    holders = HeldKeys(connection_id) if db.vendor in COUNTED_HELD and holds_records(connection_id) else None
    return RowCounts(by_slot=by_slot, minutes=minutes, text_times=text_times, holders=holders)
