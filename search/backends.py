"""Full-text search over the owner's text records, with the database's own engine.

One interface, two engines:

- SQLite (the embedded default): an FTS5 table ``search_recordtext`` whose rowid is the record's
  id, kept by triggers on ``coverage_record`` (insert, update of the payload, delete). The
  table holds its own copy of the text rather than reading it back from ``coverage_record``:
  an external-content view over ``coverage_record`` would break SQLite's table rebuilds
  (Django's ``ALTER TABLE`` drops and renames ``coverage_record``, and a view naming it makes
  the rename fail). A rebuild drops the triggers with the old table; ``ensure_index`` (run
  after every ``migrate``) puts them back.
- PostgreSQL: a GIN index on ``to_tsvector('simple', text)`` of the payload, partial to the
  records that carry text. PostgreSQL keeps it itself.

Either way the index changes in the transaction that writes the records (the pipeline's
``INSERT ... SELECT`` fires the triggers or updates the index), so a search never finds a
record that is not there, nor misses one that is. The text of a record is its payload's
``text`` (a message), ``summary`` and ``location`` (a calendar event). The ``simple``
configuration and FTS5's ``unicode61`` tokenizer match words as written, in any language.

Results are only the owner's, only records whose first delivery is committed, newest first,
each with a snippet whose matches are wrapped in ``MARK_START``/``MARK_END`` (control characters
no text holds; ``search.views`` escapes the snippet, then turns them into ``<mark>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

FIELDS = ("text", "summary", "location")
APP, MIGRATION = "search", "0001_record_text_index"  # the migration that makes the index
MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_WORDS = 24
COMMITTED = "committed"

# ---------------------------------------------------------------- SQLite


def _sqlite_text(row: str) -> str:
    parts = " || ' ' || ".join(f"coalesce(json_extract({row}.payload, '$.{f}'), '')" for f in FIELDS)
    return f"trim({parts})"


SQLITE_TABLE = "search_recordtext"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')",
]
def _sqlite_may_have_text(row: str) -> str:
    """Whether the payload's JSON names a text field at all: a plain substring test, before any
    JSON is parsed. A point or a health sample names none, and a trigger that parsed each
    payload three times made landing 300k points take 40 % longer."""
    return "(" + " OR ".join(f"instr({row}.payload, '\"{f}\"')" for f in FIELDS) + ")"


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS search_record_inserted AFTER INSERT ON coverage_record "
    f"WHEN {_sqlite_may_have_text('NEW')} "
    f"BEGIN INSERT INTO {SQLITE_TABLE} (rowid, body) SELECT NEW.id, body FROM (SELECT {_sqlite_text('NEW')} AS body) "
    "WHERE body <> ''; END",
    f"CREATE TRIGGER IF NOT EXISTS search_record_deleted AFTER DELETE ON coverage_record "
    f"WHEN {_sqlite_may_have_text('OLD')} "
    f"BEGIN DELETE FROM {SQLITE_TABLE} WHERE rowid = OLD.id; END",
    f"CREATE TRIGGER IF NOT EXISTS search_record_changed AFTER UPDATE OF payload ON coverage_record "
    f"BEGIN DELETE FROM {SQLITE_TABLE} WHERE rowid = OLD.id; "
    f"INSERT INTO {SQLITE_TABLE} (rowid, body) SELECT NEW.id, body FROM (SELECT {_sqlite_text('NEW')} AS body) "
    "WHERE body <> ''; END",
]
SQLITE_TRIGGER_NAMES = ("search_record_inserted", "search_record_deleted", "search_record_changed")
SQLITE_FILL = (
    f"INSERT INTO {SQLITE_TABLE} (rowid, body) SELECT r.id, {_sqlite_text('r')} FROM coverage_record r "
    f"WHERE {_sqlite_text('r')} <> ''"
)
SQLITE_DROP_TRIGGERS = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]
SQLITE_DROP = [*SQLITE_DROP_TRIGGERS, f"DROP TABLE IF EXISTS {SQLITE_TABLE}"]

# ---------------------------------------------------------------- PostgreSQL

def _pg_text(row: str = "") -> str:
    column = f"{row}.payload" if row else "payload"
    return " || ' ' || ".join(f"coalesce({column} ->> '{f}', '')" for f in FIELDS)


def _pg_vector(row: str = "") -> str:
    return f"to_tsvector('simple'::regconfig, {_pg_text(row)})"


def _pg_has_text(row: str = "") -> str:
    column = f"{row}.payload" if row else "payload"
    return f"{column} ?| array[" + ", ".join(f"'{f}'" for f in FIELDS) + "]"


PG_INDEX = "search_record_text"
PG_CREATE = [f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON coverage_record USING gin ({_pg_vector()}) WHERE {_pg_has_text()}"]
PG_DROP = [f"DROP INDEX IF EXISTS {PG_INDEX}"]
def create_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":  # from scratch: whatever an earlier ``ensure_index`` left is rebuilt
        return [*SQLITE_DROP, *SQLITE_CREATE, *SQLITE_TRIGGERS, SQLITE_FILL]
    if vendor == "postgresql":
        return PG_CREATE
    return []


def drop_sql(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_DROP, "postgresql": PG_DROP}.get(vendor, [])


def ensure_index(using: str = "default") -> None:
    """Put back what a table rebuild removed (SQLite's triggers); nothing to do on PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "sqlite" or (APP, MIGRATION) not in MigrationRecorder(connection).applied_migrations():
        return
    with connection.cursor() as cursor:
        for sql in [*SQLITE_CREATE, *SQLITE_TRIGGERS]:
            cursor.execute(sql)


# ---------------------------------------------------------------- the interface


@dataclass(frozen=True)
class Hit:
    record_id: int
    snippet: str  # the record's text around the matches, matches between MARK_START and MARK_END


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int


_WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str) -> list[str]:
    """The words of what the owner typed; punctuation and operators are not syntax here."""
    return _WORD.findall(query)[:16]


def search(owner_id: int, query: str, *, offset: int, limit: int, using: str = "default") -> Found:
    """The owner's records whose text holds every word of ``query``, newest first."""
    terms = words(query)
    if not terms:
        return Found([], 0)
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _postgresql(connection, owner_id, terms, offset, limit)
    if connection.vendor == "sqlite":
        return _sqlite(connection, owner_id, terms, offset, limit)
    raise NotImplementedError(f"No full-text search on {connection.vendor}")


_OWNED = (
    "JOIN connections_connection c ON c.id = r.connection_id "
    "JOIN coverage_acquisitionbatch b ON b.id = r.first_batch_id "
    "WHERE c.owner_id = %s AND b.status = %s"
)


def _sqlite(connection, owner_id: int, terms: list[str], offset: int, limit: int) -> Found:
    match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    source = f"FROM {SQLITE_TABLE} f JOIN coverage_record r ON r.id = f.rowid {_OWNED} AND {SQLITE_TABLE} MATCH %s"
    params = [owner_id, COMMITTED, match]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {source}", params)
        total = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT r.id, snippet({SQLITE_TABLE}, 0, char(2), char(3), '…', {SNIPPET_WORDS}) {source} "
            "ORDER BY r.event_at DESC, r.id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return Found([Hit(pk, snippet) for pk, snippet in cursor.fetchall()], total)


def _postgresql(connection, owner_id: int, terms: list[str], offset: int, limit: int) -> Found:
    # ts_headline reads text as HTML and drops what looks like a tag: the snippet is cut here.
    source = (
        f"FROM coverage_record r {_OWNED} AND {_pg_has_text('r')} "
        f"AND {_pg_vector('r')} @@ plainto_tsquery('simple'::regconfig, %s)"
    )
    params = [owner_id, COMMITTED, " ".join(terms)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {source}", params)
        total = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT r.id, {_pg_text('r')} {source} ORDER BY r.event_at DESC, r.id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return Found([Hit(pk, snippet(body, terms)) for pk, body in cursor.fetchall()], total)


def snippet(body: str, terms: list[str]) -> str:
    """About ``SNIPPET_WORDS`` words of ``body`` around the first match, matches marked."""
    body = " ".join(body.split())
    wanted = {term.casefold() for term in terms}
    found = [m for m in _WORD.finditer(body) if m.group().casefold() in wanted]
    spans = list(_WORD.finditer(body))
    if not spans:
        return body
    first = next((i for i, m in enumerate(spans) if m.group().casefold() in wanted), 0)
    start_word = max(0, first - SNIPPET_WORDS // 3)
    end_word = min(len(spans), start_word + SNIPPET_WORDS)
    start = 0 if start_word == 0 else spans[start_word].start()
    end = len(body) if end_word == len(spans) else spans[end_word - 1].end()
    out, at = [], start
    for m in found:
        if m.start() < start or m.end() > end:
            continue
        out += [body[at : m.start()], MARK_START, m.group(), MARK_END]
        at = m.end()
    out.append(body[at:end])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(body) else "")
