"""What a message is when its first line is not plain text: media (attached, missing or
omitted), a deletion, a call, a location, a poll, or an iOS system notice. The words are
in ``words``."""

from __future__ import annotations

from ..base import BatchFacts
from .words import (
    CALL_RE,
    DOCUMENT_OMITTED,
    FILE_ATTACHED_RE,
    IOS_ATTACHED_RE,
    LOCATION_RE,
    POLL_PREFIXES,
    SYSTEM_RE,
)

SYSTEM = "system"  # the kind of an iOS system notice; never a record


def special_kind(head: str, exact: str | None, lead: bool) -> tuple[str, str | None, str | None]:
    """(kind, media name, media state) of a first line that ``maybe_special`` let through.

    ``SYSTEM`` for an iOS system notice; "text" when nothing matched.
    """
    tail = head[-1:]
    if exact is not None:
        if exact == "omitted":
            return "media", None, "omitted"
        return exact, None, None
    if tail == ")" and (m := FILE_ATTACHED_RE.match(head)) is not None:
        return "media", m.group("name").strip(), None
    if tail == ">" and (m := IOS_ATTACHED_RE.search(head)) is not None:
        return "media", m.group("name").strip(), None
    if head.endswith(DOCUMENT_OMITTED):
        # "Report.pdf • 3 pages document omitted": the name comes before the bullet.
        name = head.rsplit(" ", 2)[0] if head.count(" ") >= 2 else ""  # 2-word suffixes
        return "media", name.split(" \u2022 ")[0].strip() or None, "omitted"
    if "maps" in head and LOCATION_RE.match(head) is not None:
        return "location", None, None
    if head.startswith(POLL_PREFIXES):
        return "poll", None, None
    if lead:
        if CALL_RE.match(head) is not None:
            return "call", None, None
        # iOS system notice: author is the chat name, body led by U+200E.
        if SYSTEM_RE.search(head) is not None:
            return SYSTEM, None, None
    return "text", None, None


def count_media(
    facts: BatchFacts, attached: frozenset[str], name: str | None, state: str | None
) -> str:
    """Count one media item in the facts; its state (omitted, attached or missing)."""
    facts.media_declared += 1
    if state == "omitted":
        facts.media_omitted += 1
        return state
    if name in attached:
        facts.media_attached += 1
        return "attached"
    facts.media_missing += 1
    return "missing"
