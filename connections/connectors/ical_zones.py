"""The zone of a calendar time's ``TZID``: an IANA name, a Windows name, or the feed's own
``VTIMEZONE`` definition.

- IANA names, with or without a ``/mozilla.org/20050126_1/`` style prefix.
- Windows names, as Outlook and Exchange write them ("Singapore Standard Time"): CLDR's table
  of the IANA zone of each, as tzlocal ships it.
- Anything else ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", as Exchange
  names a zone in its display language) is read from the ``VTIMEZONE`` block of that name the
  feed itself carries, by python-dateutil. A hostile feed cannot make that costly: a block is
  used only when it is small and its rules repeat yearly, as every real zone's do.
"""

from __future__ import annotations

import io
import re
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.tz import tzical
from tzlocal.windows_tz import win_tz

WINDOWS_ZONES = {**win_tz, "UTC": "UTC"}
# The Windows names read since the first reader (ical/1). The others were unknown then, so an
# overridden occurrence in one was keyed by its time as written; it still is (``keyed_as_written``),
# so that a feed fetched again gives the keys it gave before.
_WINDOWS_KNOWN_SINCE_ICAL_1 = frozenset({
    "W. Europe Standard Time", "Central Europe Standard Time", "Central European Standard Time",
    "Romance Standard Time", "GMT Standard Time", "Greenwich Standard Time", "E. Europe Standard Time",
    "FLE Standard Time", "Russian Standard Time", "Eastern Standard Time", "Central Standard Time",
    "Mountain Standard Time", "Pacific Standard Time", "India Standard Time", "China Standard Time",
    "Tokyo Standard Time", "AUS Eastern Standard Time", "UTC",
})

_MAX_BLOCK = 16 << 10  # a real VTIMEZONE is well under 4 KB
_MAX_BLOCKS = 64
_MAX_RULES = 32  # STANDARD and DAYLIGHT parts of one block


def _name(tzid: str) -> str:
    return tzid.strip().strip('"').replace("\\", "")


def named_zone(tzid: str) -> tzinfo | None:
    """The IANA zone a TZID names, directly or by its Windows name; None when it names none."""
    name = _name(tzid)
    name = WINDOWS_ZONES.get(name, name)
    candidates = [name]
    if "/" in name:  # "/mozilla.org/20050126_1/Europe/Berlin" or "/Europe/Berlin"
        bits = [b for b in name.split("/") if b]
        candidates += ["/".join(bits[i:]) for i in range(len(bits))]
    for candidate in candidates:
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


def keyed_as_written(tzid: str) -> bool:
    """Whether a time in this zone is keyed by its text as written: a zone no name tells (the
    feed's own definition, or none), or a Windows name learned after ical/1."""
    name = _name(tzid)
    if name in win_tz and name not in _WINDOWS_KNOWN_SINCE_ICAL_1:
        return True
    return named_zone(tzid) is None


class FeedZones:
    """The zones of one feed: named ones, else the feed's ``VTIMEZONE`` blocks (read once, when
    a TZID first needs them), and the TZIDs already warned about."""

    def __init__(self, text: str):
        self.text = text
        self.defined: dict[str, tzinfo] | None = None
        self.cache: dict[str, tzinfo | None] = {}
        self.warned: set[str] = set()

    def zone(self, tzid: str) -> tzinfo | None:
        if tzid not in self.cache:
            self.cache[tzid] = named_zone(tzid) or self._defined().get(_name(tzid))
        return self.cache[tzid]

    def _defined(self) -> dict[str, tzinfo]:
        if self.defined is None:
            self.defined = {}
            for block in _blocks(self.text):
                self.defined.update(_read_block(block))
        return self.defined


def _blocks(text: str) -> list[str]:
    """The feed's VTIMEZONE blocks, at most ``_MAX_BLOCKS``, found in one pass over the text."""
    blocks, at = [], 0
    while len(blocks) < _MAX_BLOCKS:
        start = text.find("BEGIN:VTIMEZONE", at)
        if start < 0:
            break
        end = text.find("END:VTIMEZONE", start)
        if end < 0:
            break
        blocks.append(text[start : end + len("END:VTIMEZONE")])
        at = end + 1
    return blocks


def _read_block(block: str) -> dict[str, tzinfo]:
    """{TZID: zone} of one VTIMEZONE block, or {} when it is too big, has a rule that does not
    repeat yearly, or cannot be read."""
    if len(block) > _MAX_BLOCK:
        return {}
    unfolded = re.sub(r"\r?\n[ \t]", "", block)  # a folded rule is judged whole
    rules = [r.upper() for r in re.findall(r"^RRULE[;:].*$", unfolded, re.MULTILINE | re.IGNORECASE)]
    parts = len(re.findall(r"^BEGIN:(?:STANDARD|DAYLIGHT)", unfolded, re.MULTILINE | re.IGNORECASE))
    if parts > _MAX_RULES or any(r.count("FREQ=") != 1 or "FREQ=YEARLY" not in r for r in rules):
        return {}
    try:
        zones = tzical(io.StringIO(f"BEGIN:VCALENDAR\n{block}\nEND:VCALENDAR\n"))
        return {_name(key): zones.get(key) for key in zones.keys()}
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return {}
