"""The starts of a repeating calendar event (RFC 5545 ``RRULE``), written out and bounded.

``rule_starts(rule, first, reach)`` gives the wall-clock starts an ``RRULE`` makes from the
series' first start up to ``reach`` (both naive: the clock of the event's own zone, or the date
at midnight for an all-day event), read by python-dateutil. It never runs away, whatever the
feed says:

- at most ``MAX_OCCURRENCES`` starts a series (``Starts.cut`` says when more were due before
  ``reach``);
- only daily, weekly, monthly and yearly rules are written out: a rule that repeats every hour,
  minute or second is no calendar event an owner keeps (``NotWritten``);
- a rule is read only as far as ``reach``'s year. dateutil looks for a rule's next start until
  the year 9999, so a rule no day can match (``BYMONTH=2;BYMONTHDAY=30``) took seconds, and
  minutes for a sub-daily one; here its search ends with ``reach``'s year (``_bounded``);
- a series whose reach is more than ``MAX_PERIODS`` of its periods after its start (a daily
  rule from the year 1) is not written out either (``NotWritten``).

``UNTIL`` is the caller's (``until_of``): dateutil refuses an ``UNTIL`` in UTC with a start in
a named zone or floating, so it is taken out of the rule and given back as text.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from dataclasses import dataclass

import dateutil.rrule
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

MAX_OCCURRENCES = 3000  # starts of one series: a daily event for about eight years
MAX_PERIODS = 50_000  # days, weeks, months or years between a series' start and its reach
_PERIOD_DAYS = {DAILY: 1, WEEKLY: 7, MONTHLY: 28, YEARLY: 365}
_UNTIL = re.compile(r"(?:^|;)\s*UNTIL=([^;]*)", re.IGNORECASE)


class NotWritten(ValueError):
    """The rule is read but not written out (owner words in ``str``)."""


@dataclass(frozen=True)
class Starts:
    starts: list[dt.datetime]  # naive wall-clock starts, in order
    cut: bool  # more were due before the reach than ``MAX_OCCURRENCES``


def until_of(rule: str) -> tuple[str, str | None]:
    """``rule`` without its ``UNTIL``, and the ``UNTIL`` value as written (or None)."""
    found = _UNTIL.search(rule)
    if found is None:
        return rule, None
    rest = (rule[: found.start()] + rule[found.end() :]).strip(";")
    return rest, found.group(1).strip()


def rule_starts(rule: str, first: dt.datetime, reach: dt.datetime, until: dt.datetime | None = None) -> Starts:
    """The starts ``rule`` (an RRULE value without UNTIL) makes from ``first`` to ``reach`` and ``until``.

    Raises ``NotWritten`` when it is not written out; anything else raised means the rule cannot be read
    (dateutil raises ``ValueError``, but also ``IndexError`` for ``BYDAY=+9MO``).
    """
    parsed = rrulestr(rule.strip(), dtstart=first, cache=False)
    if not isinstance(parsed, rrule):
        raise ValueError("not one rule")
    freq = parsed._freq
    if parsed._interval < 1:  # dateutil would step by nothing, or backwards, for ever
        raise ValueError("an interval below 1")
    if freq not in _PERIOD_DAYS:
        raise NotWritten("It repeats more often than once a day.")
    last = min(reach, until) if until is not None else reach
    if last < first:
        return Starts([first] if first <= reach else [], False)
    periods = (last - first).days // (_PERIOD_DAYS[freq] * parsed._interval)
    if periods > MAX_PERIODS:
        raise NotWritten(f"Its repeats reach back more than {MAX_PERIODS:,} times its period.")
    starts: list[dt.datetime] = []
    for start in _bounded(parsed, last.year):
        if start > last:
            break
        if len(starts) == MAX_OCCURRENCES:
            return Starts(starts, True)
        starts.append(start)
    return Starts(starts, False)


def _bounded(rule: rrule, last_year: int):
    """``rule``'s starts, with dateutil's search for the next one ending after ``last_year``.

    dateutil's ``rrule._iter`` stops at the year ``datetime.MAXYEAR`` (its module's ``datetime``);
    the same code runs here with a ``datetime`` whose ``MAXYEAR`` is ``last_year``. Pinned by
    tests/connectors/test_ical_repeats.py (a rule no day matches ends at once).
    """
    names = dict(vars(dateutil.rrule))
    names["datetime"] = types.SimpleNamespace(date=dt.date, datetime=dt.datetime, MAXYEAR=last_year)
    search = types.FunctionType(rrule._iter.__code__, names, "_iter")
    return search(rule)
