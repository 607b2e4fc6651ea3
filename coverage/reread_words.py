"""Owner words for reading an import again: the difference a re-read would make, or made.

One function per surface need: ``difference_lines`` (the preview says "would", the receipt
says what happened), ``import_heading`` (an import named by its day and file, UI.md), and
``zone_question`` (the settings page's offer after a zone change). Counts and days come from
``coverage.words``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, tzinfo

from . import words
from .models import AcquisitionBatch


@dataclass
class Difference:
    """What reading an import again changes, against what that import delivered."""

    added: int = 0  # records the new reading gives that the source did not hold
    going: int = 0  # records only this import delivered that the new reading no longer gives
    kept: int = 0  # no longer given by this reading, kept because a push or another import delivered them
    moved: int = 0  # the same records, their time moved (a reading in another zone)
    reclassified: int = 0  # the same records, now of another kind or media kind, or another media state
    updated: int = 0  # the same records, other details changed
    unchanged: int = 0
    reader_from: str = ""
    reader_to: str = ""
    zone_from: str = ""
    zone_to: str = ""

    @classmethod
    def of(cls, data: dict | None) -> Difference:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def as_dict(self) -> dict:
        return asdict(self)

    def __add__(self, other: Difference) -> Difference:
        """Two imports' differences together (the counts add up; readers and zones of the last)."""
        total = Difference(**{f.name: getattr(self, f.name) for f in fields(self)})
        for f in fields(self):
            value = getattr(other, f.name)
            setattr(total, f.name, getattr(total, f.name) + value if isinstance(value, int) else value or getattr(total, f.name))
        return total

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.going or self.moved or self.reclassified or self.updated)


def previewed(batch: AcquisitionBatch) -> Difference:
    """The difference a re-read batch states: its committed one, else its preview's."""
    reread = (batch.options or {}).get("reread") or {}
    return Difference.of(reread.get("committed") or reread.get("preview"))


GOING_READER = "the improved reader reads them differently or skips them"
GOING_ORDER = "they were on the wrong days, read in the other day/month order"
GOING_EITHER = "the improved reader, or the day/month order a later file proved, reads them differently"


def difference_lines(diff: Difference, noun: words.Noun, *, done: bool, why_going: str = GOING_READER) -> list[str]:
    """The difference in sentences: what a re-read would change (``done=False``) or changed; ``why_going``
    says why records as read before go (today's reader, or the day/month order a later file proved)."""
    n = lambda count: words.count(count, noun)  # noqa: E731 - a short local alias
    lines = []
    if diff.added:
        lines.append(f"{n(diff.added)} {'were' if diff.added != 1 else 'was'} added." if done
                     else f"{n(diff.added)} would be added.")
    if diff.reclassified:
        verb = ("was" if diff.reclassified == 1 else "were") if done else "would be"
        lines.append(f"{n(diff.reclassified)} {verb} recognised as another kind (media, a call, a deleted message).")
    if diff.moved:
        zone = f" to {diff.zone_to} time" if diff.zone_to and diff.zone_to != diff.zone_from else ""
        lines.append(f"{n(diff.moved)} moved{zone}." if done else f"{n(diff.moved)} would move{zone}.")
    if diff.updated:
        verb = ("was" if diff.updated == 1 else "were") if done else "would be"
        lines.append(f"{n(diff.updated)} {verb} read with corrected details.")
    if diff.going:
        lines.append(f"{n(diff.going)} as read before {'went' if done else 'would go'}: {why_going}.")
    if diff.kept:
        verb = "stay" if done else "would stay"
        lines.append(f"{n(diff.kept)} {verb}, because another import or your phone delivered them too.")
    if not lines:
        lines.append("Nothing changed." if done else "Nothing would change.")
    lines.append("Nothing was duplicated." if done else "Nothing will be duplicated.")
    return lines


def import_heading(batch: AcquisitionBatch, tz: tzinfo | None) -> str:
    """'Family chat · 18 Mar 2023 · _chat.txt': the source, then the import by its day and file."""
    return f"{batch.connection.name} · {words.import_name(batch.created_at, batch.artifact_filename, tz)}"


def total(batches: list[AcquisitionBatch]) -> Difference:
    diff = Difference()
    for batch in batches:
        diff = diff + previewed(batch)
    return diff


def zone_question(zone: str, moving: int, noun: words.Noun, what: str = "chats") -> str:
    """'Read your chats again in Europe/Berlin? 1,234 messages will move; nothing will be duplicated.'
    ``what``: the imports in owner words (``connections.zoneless.zoneless_words``)."""
    return (f"Read your {what} again in {zone}? {words.count(moving, noun)} will move; "
            "nothing will be duplicated.")


READ_AGAIN = "read_again"  # the note an import read again keeps (``pipeline.reread.commit_reread``)


def read_again_note(reading, noun: words.Noun, sha256: str = "") -> dict:
    """The note an import keeps when it is read again: the newest reading, when, in which zone, its range, and
    the SHA-256 of the file it handed on (its receipt still names the file it was).

    Its sentence is said by ``read_again_words`` in the owner's zone of the day the receipt is read."""
    return {"kind": READ_AGAIN, "batch_id": reading.pk, "sha256": sha256,
            "zone": (reading.options or {}).get("time_zone") or "",
            "proven_order": bool((reading.options or {}).get("date_order_proven")),
            "at": reading.committed_at.isoformat() if reading.committed_at else "",
            "earliest": reading.event_earliest.isoformat() if reading.event_earliest else "",
            "latest": reading.event_latest.isoformat() if reading.event_latest else "",
            "noun": list(noun)}


def read_again_words(note: dict, tz: tzinfo) -> str:
    """'Read again in Pacific/Auckland time on 4 Dec 2026: its messages now run from 4 Jan to 31 Dec 2024.'"""
    how = (f"in {note['zone']} time" if note.get("zone") else
           "in the day/month order a later file proved" if note.get("proven_order") else "with the improved reader")
    said = f"Read again {how} on {words.day(_instant(note, 'at'), tz)}"
    earliest, latest = _instant(note, "earliest"), _instant(note, "latest")
    if earliest and latest:
        said += f": its {(note.get('noun') or ('record', 'records'))[1]} now run {words.between(earliest, latest, tz)}"
    return said + ". The newer reading's receipt says what moved."


def _instant(note: dict, name: str) -> datetime | None:
    try:
        return datetime.fromisoformat(note[name])
    except (KeyError, TypeError, ValueError):
        return None


def receipt_read_again(warnings, tz: tzinfo) -> dict | None:
    """What the receipt of an import read since says of it: the newer reading and the sentence."""
    notes = [w for w in warnings or () if w.get("kind") == READ_AGAIN]
    if not notes:
        return None
    return {"batch_id": notes[-1].get("batch_id"), "sentence": read_again_words(notes[-1], tz)}


def why_going(batch: AcquisitionBatch) -> str:
    """Why records as read before go in ``batch``'s re-read: a later file proved the day/month order, or the reader
    improved."""
    return GOING_ORDER if (batch.options or {}).get("date_order_proven") else GOING_READER


def receipt_reread(batch: AcquisitionBatch, noun: words.Noun) -> dict | None:
    """What the receipt of a re-read adds: the import it read again and the difference, in words too."""
    if batch.trigger != "reread" or not (batch.options or {}).get("reread"):
        return None
    diff = previewed(batch)
    done = batch.status == AcquisitionBatch.Status.COMMITTED
    return {
        "reread_of": batch.options.get("reread_of"),
        "difference": diff.as_dict(),
        "sentences": difference_lines(diff, noun, done=done, why_going=why_going(batch)),
    }
