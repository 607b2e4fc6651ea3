"""What a pulled source's card says about its address and its next try, by its schedule (``verdict``).

A source pulled on a schedule keeps trying; one the owner set to "Only when I ask" is pulled only when
the owner asks, so its card never promises a try that will not come. A calendar address that answers,
but not with the calendar, asks for the right address; one inside the owner's own network is refused
before it is fetched (``connections.fetch``) and asks for a public address.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Literal

from ..words import day
from ..words import when as when_
from .asks import Ask, Say
from .types import ReadinessFact, Schedule, Work

TRY_AGAIN = "Try again now"  # UI.md's words for the retry action, on every surface
INSIDE = "internal_address"  # the credential's reason when the address leads inside the owner's network

# The address answers, but not with the calendar (``pipeline.pull``): credential reason -> (headline after
# "Since DAY", what to do, the action's label). A secret address the provider reset answers 404 or 410; a
# page to sign in, not a calendar, is an address that is not the secret one. Both are mended where the
# address is pasted (the source's #connect).
_NOT_THE_CALENDAR = {
    "http_404": ("the calendar's address is not found",
                 "The calendar may have reset its secret address: copy it again from the calendar's settings and "
                 "paste it here.",
                 "Paste the calendar's address again"),
    "not_a_feed": ("this address gives a sign-in page, not a calendar",
                   "Use the calendar's secret (private) address in iCal format instead: copy it from the calendar's "
                   "settings and paste it here.",
                   "Paste the secret iCal address"),
}
_NOT_THE_CALENDAR["http_410"] = _NOT_THE_CALENDAR["http_404"]


def not_found() -> str:
    """A pull's words when the address answered 404 or 410: the card's words, not the HTTP code."""
    headline = _NOT_THE_CALENDAR["http_404"][0]
    return f"{headline[0].upper()}{headline[1:]}."


def on_request(schedule: Schedule) -> bool:
    """Pulled only when the owner asks ("Only when I ask"): nothing tries again by itself."""
    return schedule.policy != "interval"


def not_the_calendar(credential: ReadinessFact, work: Work, schedule: Schedule, tz: tzinfo,
                     urgency: Literal["now", "soon"]) -> Say | None:
    """A failing pull whose address answers something else than the calendar: paste the right address."""
    said = _NOT_THE_CALENDAR.get(credential.reason) if credential.state == "unavailable" else None
    if said is None or not work.consecutive_failures:
        return None
    headline, forward, label = said
    old = ("Ownerhub tries the old one again only when you ask." if on_request(schedule)
           else "Ownerhub keeps trying the old one meanwhile.")
    return Say(f"Since {day(credential.observed_at, tz)} {headline}", f"{forward} {old}",
               (Ask("reconnect", label, "#connect", urgency, blocking=urgency == "now"),
                Ask("retry", TRY_AGAIN, "retry/")))


def inside_network(credential: ReadinessFact) -> Say | None:
    """An address refused because it leads inside the owner's own network: ask for a public one."""
    if credential.state != "rejected" or credential.reason != INSIDE:
        return None
    return Say("Ownerhub does not fetch addresses inside your own network",
               "This calendar's address leads inside your own network. Paste a public address for the calendar, "
               "such as its secret address in iCal format; Ownerhub does not fetch this one again.",
               (Ask("reconnect", "Paste another address", "#connect", "now", blocking=True),))


def failing_again(schedule: Schedule) -> str:
    """After several failed collections: what happens next."""
    if on_request(schedule):
        return "Ownerhub collects only when you ask: try again now once the source is reachable."
    return "Ownerhub keeps trying on schedule; try again now once the source is reachable."


def failed_once(schedule: Schedule, tz: tzinfo, now: datetime) -> str:
    """After the last collection failed: when the next try comes, if one comes by itself."""
    if on_request(schedule):
        return "Ownerhub collects only when you ask: try again now once the source is reachable."
    when = f" {when_(schedule.next_due_at, tz, now)}" if schedule.next_due_at else ""
    if schedule.waits_for == "worker":
        when = " once the background worker is back"
    return f"Ownerhub will try again{when}; you can also try again now."


def no_success_since(schedule: Schedule) -> str:
    if on_request(schedule):
        return "Ownerhub collects only when you ask: try again now if the source is reachable."
    return "Ownerhub keeps trying on schedule; try again now if the source is reachable."
