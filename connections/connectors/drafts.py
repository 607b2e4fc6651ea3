"""Records made fast, for a parser's hot loop (WhatsApp messages, Health samples, Timeline points).

A record is filled in as a ``Draft``: a class with ParsedRecord's slots that can be written.
The draft then becomes a ParsedRecord by changing its class, which CPython allows between
classes with the same slots. That costs a third of ParsedRecord's generated ``__init__``, which
stores each field through ``object.__setattr__`` because the class is frozen; at a million
records the constructor was the largest single cost of a parse. The result is an ordinary
ParsedRecord (its type, equality, hash and frozenness are the class's own).

``FAST`` says whether it works: only while ParsedRecord is a slots dataclass with exactly
these fields and no ``__post_init__``, and the class change is allowed (checked at import,
and by a test). Without it, a parser calls the constructor. The pattern, inline::

    record = new(Draft)
    record.stream, record.key, record.event_at = stream, key, at
    record.payload, record.media = payload, media
    record.__class__ = ParsedRecord
"""

from __future__ import annotations

from .base import ParsedRecord

FIELDS = ("stream", "key", "event_at", "payload", "media")


class Draft:
    __slots__ = FIELDS


def _drafts_work() -> bool:
    if not (
        tuple(getattr(ParsedRecord, "__dataclass_fields__", ())) == FIELDS
        and getattr(ParsedRecord, "__slots__", None) == FIELDS
        and not hasattr(ParsedRecord, "__post_init__")
    ):
        return False
    draft = Draft()
    draft.stream, draft.key, draft.event_at, draft.payload, draft.media = FIELDS
    try:
        draft.__class__ = ParsedRecord
    except TypeError:
        return False
    return type(draft) is ParsedRecord and draft == ParsedRecord(*FIELDS)


FAST = _drafts_work()
new = object.__new__
