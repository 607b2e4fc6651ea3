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
configuration and FTS5's ``unicode61`` tokenizer match words as written, in any language that
puts spaces between its words.

What the owner types is read by ``search.terms``: words, found through the index, and pieces
(text in a script written without spaces, such as Japanese or Thai, an emoji, a query with no
word), found as substrings. The index does not change for pieces: each is looked for, at query
time, in the text of the records the rest of the query leaves (every text record of the owner's
when the query is only pieces). An import pays nothing for it; a search of pieces reads the
owner's texts once: on 1M messages (and 1M points) about 0.6 s on SQLite, 0.85 s on PostgreSQL
(``bench/search.py``). An index of trigrams (FTS5's ``trigram`` tokenizer, ``pg_trgm``) would
cost every imported message a second index entry, and it cannot look up one or two characters,
the length of most Chinese and Japanese words, so it would not spare that read for them.

Results are only the owner's, only records whose first delivery is committed, newest first,
each with a snippet whose matches are wrapped in ``MARK_START``/``MARK_END`` (``search.snippets``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from .snippets import MARK_END, MARK_START, SNIPPET_WORDS, snippet
from .terms import Terms, read

__all__ = ["MARK_END", "MARK_START", "Found", "Hit", "Terms", "read", "search"]

FIELDS = ("text", "summary", "location")
APP, MIGRATION = "search", "0001_record_text_index"  # the migration that makes the index
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


def search(owner_id: int, query: str, *, offset: int, limit: int, using: str = "default") -> Found:
    """The owner's records whose text holds every word and every piece of ``query``, newest first."""
    terms = read(query)
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


def _sqlite(connection, owner_id: int, terms: Terms, offset: int, limit: int) -> Found:
    if not terms.pieces:
        return _sqlite_words(connection, owner_id, terms, offset, limit)
    # Pieces are looked for in the index's own copy of the text. Without words to match, the
    # index's table is read through (CROSS JOIN keeps it first): one pass over the texts, rather
    # than a lookup for each of the owner's records, points and samples included.
    conditions, params = [], [owner_id, COMMITTED]
    if terms.words:
        conditions.append(f"{SQLITE_TABLE} MATCH %s")
        params.append(_sqlite_match(terms.words))
    conditions += ["instr(lower(f.body), lower(%s)) > 0"] * len(terms.pieces)
    params += terms.pieces
    source = (
        f"FROM {SQLITE_TABLE} f CROSS JOIN coverage_record r ON r.id = f.rowid {_OWNED} AND "
        + " AND ".join(conditions)
    )
    return _scanned(connection, f"SELECT r.id, f.body, count(*) OVER () {source}", source, params, terms, offset, limit)


def _sqlite_match(words: list[str]) -> str:
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def _sqlite_words(connection, owner_id: int, terms: Terms, offset: int, limit: int) -> Found:
    source = f"FROM {SQLITE_TABLE} f JOIN coverage_record r ON r.id = f.rowid {_OWNED} AND {SQLITE_TABLE} MATCH %s"
    params = [owner_id, COMMITTED, _sqlite_match(terms.words)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {source}", params)
        total = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT r.id, snippet({SQLITE_TABLE}, 0, char(2), char(3), '…', {SNIPPET_WORDS}) {source} "
            "ORDER BY r.event_at DESC, r.id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return Found([Hit(pk, cut) for pk, cut in cursor.fetchall()], total)


def _postgresql(connection, owner_id: int, terms: Terms, offset: int, limit: int) -> Found:
    conditions, params = [_pg_has_text("r")], [owner_id, COMMITTED]
    if terms.words:
        conditions.append(f"{_pg_vector('r')} @@ plainto_tsquery('simple'::regconfig, %s)")
        params.append(" ".join(terms.words))
    conditions += [f"strpos(lower({_pg_text('r')}), lower(%s)) > 0"] * len(terms.pieces)
    params += terms.pieces
    source = f"FROM coverage_record r {_OWNED} AND " + " AND ".join(conditions)
    return _scanned(connection, f"SELECT r.id, {_pg_text('r')}, count(*) OVER () {source}", source, params, terms, offset, limit)


def _scanned(connection, select: str, source: str, params: list, terms: Terms, offset: int, limit: int) -> Found:
    """One page of ``select`` (id, text, how many in all), newest first, snippets cut here. The
    count rides along the page (one pass over the texts, not two); only a page past the last asks apart."""
    with connection.cursor() as cursor:
        cursor.execute(f"{select} ORDER BY r.event_at DESC, r.id DESC LIMIT %s OFFSET %s", [*params, limit, offset])
        rows = cursor.fetchall()
        if rows or not offset:
            total = rows[0][2] if rows else 0
        else:
            cursor.execute(f"SELECT count(*) {source}", params)
            total = cursor.fetchone()[0]
    return Found([Hit(pk, snippet(body, terms)) for pk, body, _ in rows], total)
