"""Sources whose exports write times without a zone: their times are read in the owner's zone.

A manifest-level fact kept here, next to the connectors, so the settings page (``account``) can
tell whether changing the owner's zone should offer to read those sources again, and the
re-read (``coverage.pipeline.reread``) which imports a zone change moves. WhatsApp's "Export
chat" writes the phone's wall-clock time and no zone; the other connectors' files carry UTC or
an offset (GPX, Google Timeline, Apple Health, iCalendar) or arrive as instants (pushes).
"""

from __future__ import annotations

from .models import Connection

ZONELESS_CONNECTORS: frozenset[str] = frozenset({"whatsapp"})


def zoneless_connections(owner):
    """The owner's sources whose exports carry no zone."""
    return Connection.objects.for_owner(owner).filter(connector__in=ZONELESS_CONNECTORS)
