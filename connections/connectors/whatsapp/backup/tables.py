"""The chats and messages of a backup's database, as plain rows, for both layouts.

iPhone ``ChatStorage.sqlite`` (Core Data): ``ZWACHATSESSION`` (``Z_PK``, ``ZPARTNERNAME``: the
contact's or group's name, ``ZCONTACTJID``), ``ZWAMESSAGE`` (``ZCHATSESSION``, ``ZISFROMME``,
``ZMESSAGEDATE``: seconds since 2001-01-01 UTC, ``ZMESSAGETYPE``, ``ZTEXT``, ``ZGROUPMEMBER``,
``ZMEDIAITEM``), ``ZWAGROUPMEMBER`` (``ZCONTACTNAME``, ``ZMEMBERJID``) and ``ZWAMEDIAITEM``
(``ZMEDIALOCALPATH``).

Android ``msgstore.db`` (decrypted): ``chat`` (``_id``, ``jid_row_id``, ``subject``), ``jid``
(``_id``, ``user``, ``server``), ``message`` (``chat_row_id``, ``from_me``, ``sender_jid_row_id``,
``timestamp``: milliseconds UTC, ``message_type``, ``text_data``) and ``message_media``
(``message_row_id``, ``file_path``). Contact names live in another database (``wa.db``), so a
person is named by their number ("+4915112345678") unless the chat is a group with a subject.

Only columns that exist are read (a backup of another WhatsApp version may lack some).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ...base import ArtifactRejected
from .opening import Kind, tables

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Message types -> the kind the export reader gives (None: a system notice, skipped).
IOS_KINDS = {0: "text", 7: "text", 1: "media", 2: "media", 3: "media", 8: "media", 11: "media", 15: "media",
             5: "location", 14: "deleted"}
ANDROID_KINDS = {0: "text", 1: "media", 2: "media", 3: "media", 9: "media", 13: "media", 20: "media",
                 5: "location", 15: "deleted"}


@dataclass(frozen=True)
class Chat:
    id: int
    name: str
    count: int
    first: datetime | None
    last: datetime | None
    group: bool


@dataclass(frozen=True)
class Row:
    at: datetime
    from_me: bool
    sender: str  # the other person's name or number ("" when the backup does not say)
    kind: str | None
    text: str
    media_path: str


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {d[0] for d in con.execute(f'SELECT * FROM "{table}" LIMIT 0').description}


def _when(kind: Kind, value) -> datetime | None:
    if not isinstance(value, int | float):
        return None
    try:
        if kind == "ios":
            return APPLE_EPOCH + timedelta(seconds=float(value))
        return UNIX_EPOCH + timedelta(milliseconds=int(value))
    except (OverflowError, ValueError):
        return None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def chats(con: sqlite3.Connection, kind: Kind) -> list[Chat]:
    """Every chat with at least one message, most messages first."""
    try:
        if kind == "ios":
            rows = con.execute(
                "SELECT s.Z_PK, s.ZPARTNERNAME, s.ZCONTACTJID, count(*), min(m.ZMESSAGEDATE), max(m.ZMESSAGEDATE) "
                "FROM ZWACHATSESSION s JOIN ZWAMESSAGE m ON m.ZCHATSESSION = s.Z_PK GROUP BY s.Z_PK"
            ).fetchall()
            found = [Chat(r[0], _text(r[1]) or _text(r[2]).split("@")[0], r[3], _when(kind, r[4]),
                          _when(kind, r[5]), _text(r[2]).endswith("@g.us")) for r in rows]
        else:
            rows = con.execute(
                "SELECT c._id, c.subject, j.user, j.server, count(*), min(m.timestamp), max(m.timestamp) "
                "FROM chat c JOIN message m ON m.chat_row_id = c._id LEFT JOIN jid j ON j._id = c.jid_row_id "
                "GROUP BY c._id"
            ).fetchall()
            found = [Chat(r[0], _text(r[1]) or _number(r[2]), r[4], _when(kind, r[5]), _when(kind, r[6]),
                          _text(r[3]) == "g.us") for r in rows]
    except sqlite3.DatabaseError as exc:
        raise ArtifactRejected("malformed", "The backup's database could not be read.") from exc
    return sorted((c for c in found if c.name), key=lambda c: (-c.count, c.name.lower()))


def _number(user) -> str:
    """An Android sender: the number of their JID's user part ("+4915112345678")."""
    user = _text(user)
    return f"+{user}" if user.isdigit() else user


def _member(sender) -> str:
    """An iPhone group member: their contact name, or their JID's part before "@"."""
    return _text(sender).split("@")[0]


def messages(con: sqlite3.Connection, kind: Kind, chat: Chat) -> Iterator[Row]:
    """The chat's messages in time order (then storage order)."""
    if kind == "ios":
        yield from _rows(con.execute(_ios_sql(con), (chat.id,)), chat, kind, IOS_KINDS, _member)
    else:
        yield from _rows(con.execute(_android_sql(con), (chat.id,)), chat, kind, ANDROID_KINDS, _number)


def _rows(cursor, chat: Chat, kind: Kind, kinds: dict, sender_of) -> Iterator[Row]:
    """Rows of (time, from me, type, text, sender, media path) as ``Row``; a row without a time
    that can be read is passed over. A sender without a name is the chat's, unless a group's."""
    for at, from_me, mtype, text, sender, path in cursor:
        when = _when(kind, at)
        if when is None:
            continue
        sender = sender_of(sender) or ("" if chat.group else chat.name)
        yield Row(when, bool(from_me), sender, kinds.get(mtype), _text(text), _text(path))


def _ios_sql(con: sqlite3.Connection) -> str:
    names = tables(con)
    member = "ZWAGROUPMEMBER" in names and {"ZCONTACTNAME", "ZMEMBERJID"} <= _columns(con, "ZWAGROUPMEMBER")
    media = "ZWAMEDIAITEM" in names and "ZMEDIALOCALPATH" in _columns(con, "ZWAMEDIAITEM")
    return (
        "SELECT m.ZMESSAGEDATE, m.ZISFROMME, m.ZMESSAGETYPE, m.ZTEXT, "
        + ("coalesce(g.ZCONTACTNAME, g.ZMEMBERJID), " if member else "NULL, ")
        + ("i.ZMEDIALOCALPATH " if media else "NULL ")
        + "FROM ZWAMESSAGE m "
        + ("LEFT JOIN ZWAGROUPMEMBER g ON g.Z_PK = m.ZGROUPMEMBER " if member else "")
        + ("LEFT JOIN ZWAMEDIAITEM i ON i.Z_PK = m.ZMEDIAITEM " if media else "")
        + "WHERE m.ZCHATSESSION = ? ORDER BY m.ZMESSAGEDATE, m.Z_PK"
    )


def _android_sql(con: sqlite3.Connection) -> str:
    media = "message_media" in tables(con)
    return (
        "SELECT m.timestamp, m.from_me, m.message_type, m.text_data, j.user, "
        + ("mm.file_path " if media else "NULL ")
        + "FROM message m LEFT JOIN jid j ON j._id = m.sender_jid_row_id "
        + ("LEFT JOIN message_media mm ON mm.message_row_id = m._id " if media else "")
        + "WHERE m.chat_row_id = ? ORDER BY m.timestamp, m._id"
    )
