"""What a pull of a source that sends its whole state changed in what the source held, as its receipt says it.

A pull of a calendar brings the events it delivered before up to date (``pipeline.snapshot``) and
keeps a note of it among its batch's warnings, which the dashboard's loader reads (its ``options``
are deferred there). ``changes_of`` reads that note for the receipt (``Receipt.snapshot``); the note
is no warning to the owner, so the receipt's ``warnings`` leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass

NOTE = "snapshot"  # the note's kind (``pipeline.snapshot.NOTE``)


@dataclass(frozen=True)
class Changes:
    changed: int  # held records the source now gives differently, updated in place
    gone: int  # held records the source no longer gives, removed
    moved: int  # held records the source gives as before, placed anew in the owner's new zone
    reader_from: str  # the older reader of the pull before, when this pull read the source again ("" else)


def changes_of(warnings: list | None) -> Changes | None:
    """The changes a batch's note tells; None for a batch that brought nothing up to date (an upload, a push)."""
    note = next((w for w in warnings or () if w.get("kind") == NOTE), None)
    if note is None:
        return None
    return Changes(
        int(note.get("changed", 0)),
        int(note.get("gone", 0)),
        int(note.get("moved", 0)),
        str(note.get("reader_from") or ""),
    )
