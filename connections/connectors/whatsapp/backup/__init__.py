"""WhatsApp device backups (method ``device_backup``): an iPhone's ``ChatStorage.sqlite`` (alone,
or the backup folder zipped) and Android's decrypted ``msgstore.db``.

The database is opened read-only and immutable, and only its plain tables are read
(``opening``); the chats and messages come out as rows (``tables``). A backup holds every chat
and a source is one chat, so the parser needs to know which one (``ParseOptions.chat``): without
it, it lists the chats (``list_chats``: name, message count, first and last message) and asks
(``facts.needs_answer``, question ``chat``), reading nothing, like the date-order question.

The key rule is the export's (``whatsapp.keys``), so a message that arrives both ways is one
record with two provenance rows:

- ``minute``: the backup knows the exact instant (seconds, UTC); the export writes the phone's
  wall clock to the minute. The backup's instant is turned into the wall clock of the owner's
  zone (``ParseOptions.time_zone``, the zone exports are read in) and cut to the minute. The
  record's time is the exact instant.
- ``author``: the export writes the phone's contact name; the backup holds the same name for an
  iPhone (the chat's partner name, a group member's contact name) and the number for Android,
  whose names are in another database. Your own messages are written under your name in an
  export: give it once (``ParseOptions.me``, ``--me NAME``; it is remembered with the chat).
- ``content`` and ``n``: as the export's (text, or the kind's token for media, locations and
  deleted messages), counted in time order within the minute.

Media named by the database is ``attached`` when the zipped backup holds the file, else
``missing``; a backup with the files fills in what an export lacked (the pipeline's media upgrade).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import tzinfo

from ...base import Artifact, BatchFacts, ParsedRecord, ParseOptions, clean_text
from ...identity import chat_hint
from ..keys import Occurrences, key_content, minute_stamp, record_key
from ..words import media_kind_of
from .opening import open_backup
from .tables import Chat, chats, messages

__all__ = ["PARSER_VERSION", "list_chats", "parse"]

PARSER_VERSION = "whatsapp-backup/1"
DEFAULT_ME = "You"


def list_chats(path) -> list[Chat]:
    """The chats in the backup at ``path``, most messages first."""
    with open_backup(path) as (con, kind, _members):
        return chats(con, kind)


def pick(found: list[Chat], name: str | None) -> Chat | None:
    if not name:
        return None
    wanted = name.strip().lower()
    return next((c for c in found if c.name.strip().lower() == wanted), None)


def _body(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """Read one chat of a WhatsApp backup; see the package doc."""
    facts.parser_version = PARSER_VERSION
    with open_backup(artifact.path) as (con, kind, members):
        facts.source_format = f"whatsapp_{kind}_backup{'_zip' if members else ''}"
        found = chats(con, kind)
        chat = pick(found, getattr(options, "chat", None))
        if chat is None:
            facts.needs_answer = {"question": "chat", "choices": [c.name for c in found][:50], "example": ""}
            facts.warn("which_chat", f"This backup holds {len(found)} chats; say which one this source is.")
            return
        tz = options.time_zone
        facts.time_zone_assumed = getattr(tz, "key", None) or str(tz)
        me = (getattr(options, "me", None) or DEFAULT_ME).strip() or DEFAULT_ME
        files = {m.rsplit("/", 1)[-1] for m in members}
        try:
            yield from _records(messages(con, kind, chat), chat, facts, tz, me, files)
        except sqlite3.DatabaseError:
            facts.partial = True  # damaged past its first pages: what was read stands
            facts.warn("unreadable_rest", "The backup's database could not be read to its end.")


def _records(rows, chat, facts: BatchFacts, tz: tzinfo, me: str, files: set[str]) -> Iterator[ParsedRecord]:
    """One record per message row (system notices skipped), keyed by the export's rule."""
    occurrences, authors = Occurrences(), set()
    for row in rows:
        if row.kind is None:
            facts.skipped += 1
            continue
        author = me if row.from_me else (row.sender or chat.name)
        authors.add(author)
        body = _body(row.text)
        name = row.media_path.rsplit("/", 1)[-1] if row.media_path else None
        content = body if row.kind == "text" else key_content(row.kind, body)
        minute = minute_stamp(row.at, tz)
        key = record_key(minute, author, content, occurrences.next(minute, author, content))
        payload = {"author": author, "text": body or (name or ""), "kind": row.kind, "media_name": name}
        media = None
        if row.kind == "media":
            facts.media_declared += 1
            payload["media_kind"] = media_kind_of(name or "")
            media = "attached" if name and name in files else "missing"
            if media == "attached":
                facts.media_attached += 1
            else:
                facts.media_missing += 1
        yield ParsedRecord("messages", key, row.at, payload, media)
    facts.identity = chat_hint(clean_text(chat.name, 100), authors)
