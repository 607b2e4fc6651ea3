"""SQLite's settings while an import writes or reads many rows, each for one block and restored after.

The WAL folded back less often (``roomy_wal``), a small page cache (``lean_cache``, and
``small_sorts`` for a statement that sorts every staged row), deletes that do not zero the
pages they free (``content_kept``), and no CHECK of JSON valid by construction
(``unchecked_json``). Each is a no-op on another database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.db import connection as db

ROOMY_WAL_PAGES = 16_384  # SQLite: WAL pages between checkpoints while chunks are written (64 MB)


@contextmanager
def roomy_wal() -> Iterator[None]:
    """SQLite: checkpoint the WAL every 64 MB instead of every 4 MB while many chunks commit.

    Staging and landing commit one chunk at a time, each writing more than the default 1,000
    pages; with the default nearly every commit would copy the WAL back into the database
    and sync it. Durability and atomicity do not change (a commit is in the WAL either way);
    only how often the WAL is folded back. The setting is per connection and restored.
    Elsewhere a no-op.
    """
    if db.vendor != "sqlite":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint = {ROOMY_WAL_PAGES}")
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous)}")


@contextmanager
def content_kept(cursor) -> Iterator[None]:
    """SQLite: delete staged rows whose content lives on in ``Record`` (landed, or held by an earlier
    import) without zeroing the pages they free (``secure_delete = FAST``); restored after.

    Debian's SQLite zeroes every deleted byte by default: emptying 300k staged rows wrote the
    whole table again (0.21 s of a 0.9 s commit). Removals the owner asks for (a preview
    abandoned, an import undone, a source removed) still zero what they delete. Elsewhere a no-op.
    """
    if db.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA secure_delete")
    previous = int(cursor.fetchone()[0])
    cursor.execute("PRAGMA secure_delete = FAST")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA secure_delete = {previous}")


@contextmanager
def unchecked_json(cursor) -> Iterator[None]:
    """SQLite: no CHECK constraint (a JSONField's ``JSON_VALID``) while a statement writes JSON that
    is valid by construction: built by SQLite itself (``json_group_object``), or written by orjson
    and copied over from staging. SQLite 3.40 parses a checked value again, into 16 bytes a
    node: a lane of a million slots took 105 MB to check; landing 300k points spent a quarter
    of its insert on it. Elsewhere a no-op."""
    if db.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        cursor.execute("PRAGMA ignore_check_constraints = OFF")


LEAN_CACHE_KIB = 16_384  # SQLite: page cache while an import stages or lands (settings give 64 MB)


@contextmanager
def sqlite_cache(kib: int, cursor=None) -> Iterator[None]:
    """SQLite: a page cache of ``kib`` while the block runs, then the connection's own again.

    Elsewhere a no-op. ``cursor``: an open cursor to use (else one of the connection's).
    """
    if db.vendor != "sqlite":
        yield
        return
    with (nullcontext(cursor) if cursor is not None else db.cursor()) as c:
        c.execute("PRAGMA cache_size")
        previous = int(c.fetchone()[0])
        c.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        with (nullcontext(cursor) if cursor is not None else db.cursor()) as c:
            c.execute(f"PRAGMA cache_size = {previous}")


def lean_cache():
    """SQLite: a 16 MB page cache while an import stages or lands its rows, restored after.

    The connection's 64 MB cache (settings) fills up with the pages of a large import and
    stays allocated, a quarter of the 250 MB an import may peak at (issue 15). The rows go in
    key order (every key starts with its time), so the pages being written are few at any
    moment.
    """
    return sqlite_cache(LEAN_CACHE_KIB)


SORT_CACHE_KIB = 8192  # SQLite: page cache (and so sorter memory) while grouping staged rows


def small_sorts(cursor):
    """SQLite: a small page cache while a statement sorts every staged row.

    SQLite's sorter keeps up to ``cache_size`` of rows in memory before it spills to disk;
    with the 64 MB cache of settings a 4-million-row GROUP BY added ~70 MB to the peak that
    a 1-million-row one did not reach. With 8 MB it spills early and memory stays flat.
    """
    return sqlite_cache(SORT_CACHE_KIB, cursor)
