"""Opening a phone backup's database: read-only, immutable, and only its plain tables.

The file is either the database itself (``ChatStorage.sqlite`` from an iPhone, ``msgstore.db``
from Android, decrypted) or a zip of the backup folder holding it. A zip member is copied to a
temporary file first (capped by the zip's own limits, ``base.open_zip``). The database is opened
with the URI ``mode=ro&immutable=1`` (nothing is written, no journal is replayed), extensions
stay off, and an authorizer allows only reading: a hostile file's views, triggers or functions
are never run, because only tables listed in ``sqlite_master`` with ``type = 'table'`` are read.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import urllib.parse
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from ...base import ArtifactRejected, is_zip, open_zip, safe_member_names, sniff

Kind = Literal["ios", "android"]
SQLITE_HEAD = b"SQLite format 3\x00"
# An unencrypted Finder or iTunes backup names each file by a hash of its domain and path;
# this is ChatStorage.sqlite's (AppDomainGroup-group.net.whatsapp.WhatsApp.shared).
IOS_HASHED = "7c7fba66680ef796b916b067077cc246adacf01d"
NAMES = ("chatstorage.sqlite", "msgstore.db", IOS_HASHED)
IOS_TABLES = ("ZWACHATSESSION", "ZWAMESSAGE")
ANDROID_TABLES = ("message", "chat", "jid")
_READ_ONLY = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
_FUNCTIONS = {"count", "min", "max", "coalesce", "lower"}


def _authorize(action, arg1, arg2, db_name, trigger):
    if action not in _READ_ONLY or trigger is not None:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in _FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _connect(path: Path) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(str(path)) + "?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        con.execute("PRAGMA trusted_schema = OFF")
        con.set_authorizer(_authorize)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ArtifactRejected("malformed", "The backup's database is damaged or encrypted.") from exc
    return con


def tables(con: sqlite3.Connection) -> set[str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows if isinstance(r[0], str)}


def kind_of(con: sqlite3.Connection) -> Kind:
    names = tables(con)
    if all(t in names for t in IOS_TABLES):
        return "ios"
    if all(t in names for t in ANDROID_TABLES):
        return "android"
    raise ArtifactRejected(
        "wrong_source", "This database is not a WhatsApp backup (no ChatStorage or msgstore tables)."
    )


@contextmanager
def open_backup(path: Path):
    """``(connection, kind, zip member names or ())`` of the backup at ``path``; closes all after."""
    try:
        head = sniff(path, 16)
    except OSError as exc:
        raise ArtifactRejected("malformed", "The file could not be read.") from exc
    if not head:
        raise ArtifactRejected("empty", "The file is empty.")
    with tempfile.TemporaryDirectory(prefix="ownerhub-backup-") as tmp:
        members: tuple[str, ...] = ()
        db_path = path
        if is_zip(head):
            db_path, members = _from_zip(path, Path(tmp))
        elif head[:16] != SQLITE_HEAD:
            raise ArtifactRejected(
                "unsupported", "This is not a WhatsApp backup database (ChatStorage.sqlite or msgstore.db)."
            )
        con = _connect(db_path)
        try:
            try:
                kind = kind_of(con)
            except sqlite3.DatabaseError as exc:
                raise ArtifactRejected("malformed", "The backup's database is damaged or encrypted.") from exc
            yield con, kind, members
        finally:
            con.close()


def _from_zip(path: Path, tmp: Path) -> tuple[Path, tuple[str, ...]]:
    zf = open_zip(path)
    try:
        names = safe_member_names(zf)
        found = next((n for n in names if n.rsplit("/", 1)[-1].lower() in NAMES), None)
        if found is None:
            raise ArtifactRejected(
                "wrong_source", "The zip holds no WhatsApp database (ChatStorage.sqlite or msgstore.db)."
            )
        target = tmp / "backup.db"
        try:
            with zf.open(found) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
        except Exception as exc:  # noqa: BLE001 - any failure reading a member is a broken zip
            raise ArtifactRejected("malformed", "The zip file is damaged or incomplete.") from exc
        if sniff(target, 16) != SQLITE_HEAD:
            raise ArtifactRejected("malformed", "The backup's database is damaged or encrypted.")
        return target, tuple(names)
    finally:
        zf.close()
