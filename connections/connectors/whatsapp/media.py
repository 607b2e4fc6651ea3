"""What a message is when its first line is not plain text: media (attached, missing or
omitted, with its kind), a deletion, a call, a location, a poll, or an iOS system notice.
The words are in ``words``."""

from __future__ import annotations

from ..base import BatchFacts
from .words import (
    ANDROID_FILE_RE,
    CALL_RE,
    DOCUMENT_OMITTED,
    DOCUMENT_RE,
    ENCRYPTION_RE,
    FILE_ATTACHED_RE,
    IOS_ATTACHED_RE,
    IOS_FILE_RE,
    LOCATION_RE,
    POLL_PREFIXES,
    SYSTEM_RE,
    media_kind_of,
)

SYSTEM = "system"  # the kind of an iOS system notice; never a record
Kind = tuple[str, str | None, str | None, str | None]  # kind, media name, media state, media kind


def classify(head: str, exact: tuple | None, lead: bool) -> Kind:
    """(kind, media name, media state, media kind) of a first line that may not be plain text.

    ``SYSTEM`` for an iOS system notice; "text" when nothing matched.
    """
    tail = head[-1:]
    if exact is not None:
        kind, media_kind, state = exact
        return kind, None, state, media_kind
    if tail == ")" and (m := FILE_ATTACHED_RE.match(head)) is not None:
        name = m.group("name").strip()
        return "media", name, None, media_kind_of(name)
    if tail == ">" and (m := IOS_ATTACHED_RE.search(head) or IOS_FILE_RE.search(head)) is not None:
        name = m.group("name").strip()
        return "media", name, None, media_kind_of(name)
    if tail == ")" and (m := ANDROID_FILE_RE.fullmatch(head)) is not None:
        name = m.group("name")
        return "media", name, None, media_kind_of(name)
    if head.endswith(DOCUMENT_OMITTED) and (m := DOCUMENT_RE.match(head)) is not None:
        # "Report.pdf • 3 pages document omitted": the name comes before the bullet.
        name = m.group("name").split(" \u2022 ")[0].strip()
        return "media", name or None, "omitted", "document"
    if "maps" in head and LOCATION_RE.match(head) is not None:
        return "location", None, None, None
    if head.startswith(POLL_PREFIXES):
        return "poll", None, None, None
    if lead:
        if CALL_RE.match(head) is not None:
            return "call", None, None, None
        # iOS system notice: author is the chat name, body led by U+200E.
        if SYSTEM_RE.search(head) is not None:
            return SYSTEM, None, None, None
    return "text", None, None, None


def is_encryption_notice(head: str) -> bool:
    """The encryption notice, in any language, even without its leading mark."""
    return ENCRYPTION_RE.search(head) is not None


def special_kind(head: str, exact: tuple | None, lead: bool) -> tuple[str, str | None, str | None]:
    """(kind, media name, media state): ``classify`` without the media kind."""
    return classify(head, exact, lead)[:3]


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
