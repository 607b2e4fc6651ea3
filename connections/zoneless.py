"""Sources whose exports write times without a zone: their times are read in the owner's zone.

A manifest-level fact kept here, next to the connectors, so the settings page (``account``) can
tell whether changing the owner's zone should offer to read those sources again, and the
re-read (``coverage.pipeline.reread``) which imports a zone change moves. An import of such a
source names the zone it was read in (``time_zone_assumed``); one that names none placed nothing
in the owner's zone, and a zone change leaves it as it is.

- WhatsApp's "Export chat" writes the phone's wall-clock time and no zone.
- Apple Health writes each sample's and workout's time with its offset (it does not move), but a
  daily activity summary names a calendar day alone (``dateComponents``). No instant lies on one
  date in every zone (Pago Pago, UTC-11, and Kiritimati, UTC+14, are 25 hours apart), so the
  summary stands at noon of its day in the owner's zone (``base.day_instant``) and is read again
  when that zone changes.

The other connectors' files carry UTC or an offset (GPX, Google Timeline, iCalendar; see their
readers for the rare time written without one) or arrive as instants (pushes).
"""

from __future__ import annotations

from .models import Connection

# connector id -> (what the owner calls its imports, why a zone change moves them): owner words.
ZONELESS: dict[str, tuple[str, str]] = {
    "whatsapp": ("chats", "Chat exports write the time on the phone and no time zone"),
    "apple_health": (
        "Health exports",
        "Health exports name each daily activity summary by its day alone, with no time zone "
        "(their samples, workouts and routes carry their own time and do not move)",
    ),
}
ZONELESS_CONNECTORS: frozenset[str] = frozenset(ZONELESS)
# connector id -> what in its file carries no zone (owner words); "times" when not named here.
ZONELESS_ITEMS: dict[str, str] = {"apple_health": "daily activity summaries"}


def zoneless_connections(owner):
    """The owner's sources whose exports carry no zone."""
    return Connection.objects.for_owner(owner).filter(connector__in=ZONELESS_CONNECTORS)


def zoneless_words(connectors) -> tuple[str, str]:
    """(what, why) for imports of ``connectors``: ('chats and Health exports', 'Chat exports write … and
    Health exports name …'), in ``ZONELESS``'s order; chats alone when none is named."""
    found = [words for connector, words in ZONELESS.items() if connector in set(connectors)] or [ZONELESS["whatsapp"]]
    return " and ".join(w for w, _ in found), ", and ".join(why for _, why in found)
