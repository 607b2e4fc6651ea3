"""Identity hints: which account or chat an artifact comes from, where the format says so.

A parser that can tell whose data a file holds sets ``BatchFacts.identity`` to a short text in
the owner's words: an e-mail address (a Takeout archive that names its account), the chat and
its participants (WhatsApp: ``"Family: Anna, Ben"``, or ``"Anna, Ben"`` when the file does not
name the chat). The pipeline compares it with the hint of the source's first committed import
(``coverage.pipeline.accounts``) and asks the owner to confirm an import from another account.

A hint is owner data: it is shown to the owner and kept on the batch, never written to a log as
it is (``log_token`` gives a digest to log instead) and never shown in an admin list.

``same_account`` is the one comparison. Hints that are equal (ignoring case and spaces around)
are the same account. Participant lists are the same chat when one list holds the other (a later
export in which someone wrote nothing yet) or when they share at least two people (a group that
gained or lost members); a one-to-one chat with someone else shares only the owner, so it is
another chat.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from .base import Artifact, BatchFacts, ParsedRecord, ParseOptions, Parser, clean_text

MAX_PARTICIPANTS = 50  # people named in a chat hint (a larger group is cut, in name order)
MAX_HINT_CHARS = 300


def log_token(hint: str | None) -> str:
    """What a log line may say about a hint: a short digest, never the hint itself."""
    if not hint:
        return "-"
    return "id:" + hashlib.sha256(hint.strip().lower().encode()).hexdigest()[:12]


def _participants(hint: str) -> frozenset[str]:
    people = hint.rsplit(": ", 1)[-1]
    return frozenset(p.strip().lower() for p in people.split(",") if p.strip())


def same_account(a: str | None, b: str | None) -> bool:
    """Whether two hints name the same account or chat (an unknown hint never differs)."""
    if not a or not b:
        return True
    if a.strip().lower() == b.strip().lower():
        return True
    first, second = _participants(a), _participants(b)
    if len(first) < 2 and len(second) < 2:
        return False  # two different single names or addresses
    return first <= second or second <= first or len(first & second) >= 2


def chat_hint(chat_name: str | None, authors: Iterable[str]) -> str | None:
    """A chat's hint: its name when known, then its participants in name order."""
    people = sorted({a.strip() for a in authors if a and a.strip()}, key=str.lower)[:MAX_PARTICIPANTS]
    if not people:
        return None
    text = ", ".join(p.replace(",", " ") for p in people)
    if chat_name:
        text = f"{chat_name.strip()}: {text}"
    return clean_text(text, MAX_HINT_CHARS)


def chat_name_from_filename(filename: str) -> str | None:
    """The chat's name as WhatsApp writes it in an export's file name, or None."""
    name = (filename or "").rsplit("/", 1)[-1]
    for prefix in ("WhatsApp Chat with ", "WhatsApp Chat - "):
        if name.lower().startswith(prefix.lower()):
            stem = name[len(prefix):]
            stem = stem.rsplit(".", 1)[0] if "." in stem else stem
            return stem.strip() or None
    return None


def with_chat_identity(parser: Parser) -> Parser:
    """``parser`` (a chat export's) that also sets ``facts.identity`` from the authors it read."""

    def parse(source: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
        authors: set[str] = set()
        for record in parser(source, facts, options):
            author = record.payload.get("author") if isinstance(record.payload, dict) else None
            if isinstance(author, str) and len(authors) < 10 * MAX_PARTICIPANTS:
                authors.add(author)
            yield record
        name = chat_name_from_filename(getattr(source, "filename", "") or "")
        facts.identity = chat_hint(name, authors) or facts.identity

    parse.__doc__ = parser.__doc__
    parse.__name__ = getattr(parser, "__name__", "parse")
    return parse
