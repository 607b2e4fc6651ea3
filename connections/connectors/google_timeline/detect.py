"""Which Timeline format a JSON document is, from its first keys; what is plainly not one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO

import ijson

from ..base import ArtifactRejected
from .common import _BOM, ANDROID, IOS, RECORDS, SEMANTIC, _Unreadable
from .guard import _READ_ERRORS, _GuardedReader

# Top-level key -> format; the first such key decides.
_TOP_KEYS = {
    "locations": RECORDS,
    "timelineObjects": SEMANTIC,
    "semanticSegments": ANDROID,
    "rawSignals": ANDROID,
}
_CLASSIFY_EVENTS = 200_000  # parse events read at most to find one
_SEGMENT_KEYS = frozenset({"visit", "activity", "timelinePath", "timelineMemory"})


_WHATSAPP_LINE = re.compile(
    rb"^\s*(?:\xe2\x80\x8e)?\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4},?\s+\d{1,2}[:.]\d{2}"
)


def _classify(open_raw: Callable[[], IO[bytes]]) -> str | None:
    """The format of a JSON document from its first keys; None for JSON of another kind.

    Returns ``"empty_array"`` for ``[]``. Raises ``_Unreadable`` when the bytes are
    not JSON (or not JSON for long enough to tell).
    """
    try:
        with _GuardedReader(open_raw()) as fh:
            return _classify_events(ijson.parse(fh, use_float=True))
    except _READ_ERRORS as exc:
        raise _Unreadable(str(exc)[:200]) from exc


def _classify_events(events) -> str | None:
    try:
        _, event, _ = next(events)
    except StopIteration:
        raise _Unreadable("no JSON value") from None
    if event == "start_map":
        # Members of other kinds may come first; their values are passed over, up to
        # a bound, so a large JSON file of another kind is refused quickly.
        for count, (prefix, event, value) in enumerate(events):
            if prefix == "":
                if event == "end_map":
                    return None
                if event == "map_key" and value in _TOP_KEYS:
                    return _TOP_KEYS[value]
            if count > _CLASSIFY_EVENTS:
                return None
        raise _Unreadable("the file ends early")
    if event == "start_array":
        first = next(events, None)
        if first is None:
            raise _Unreadable("the file ends early")
        event = first[1]
        if event == "end_array":
            return "empty_array"
        if event != "start_map":
            return None
        has_start = has_segment = False
        for prefix, event, value in events:
            if prefix == "item":
                if event == "end_map":
                    return None
                if event == "map_key":
                    if value == "startTime":
                        has_start = True
                    elif value in _SEGMENT_KEYS:
                        has_segment = True
                    if has_start and has_segment:
                        return IOS
        raise _Unreadable("the file ends early")
    # A bare scalar: JSON of another kind, provided nothing follows it.
    for _ in events:
        pass
    return None


def _reject_by_head(head: bytes, size: int) -> None:
    """Reject what is recognisably not a Timeline file from its first bytes."""
    body = head[3:] if head.startswith(_BOM) else head
    text = body.lstrip()
    if not text and size <= len(head):
        raise ArtifactRejected("empty", "The file is empty.")
    if head[:2] == b"\x1f\x8b":
        raise ArtifactRejected(
            "unsupported",
            "This is a compressed .tgz archive. Choose .zip as the Takeout file type, "
            "or upload the .json file from inside it.",
        )
    if text[:1] == b"<":
        raise ArtifactRejected(
            "wrong_source",
            "This looks like an XML or web page file (an Apple Health export?), "
            "not a Google Timeline file.",
        )
    if _WHATSAPP_LINE.match(text):
        raise ArtifactRejected(
            "wrong_source", "This looks like a chat export, not a Google Timeline file."
        )
