"""The raw floor of the import benchmarks (issue 15), run as ``_common.py floor CONNECTOR FILE OUT``.

Our parser streams the records and ``executemany`` writes the same rows (stream, key, time,
payload JSON, media) into a bare table with the same unique key (stream, key), INSERT OR IGNORE
(PostgreSQL: ON CONFLICT DO NOTHING), ``FLOOR_BATCH`` rows a transaction, on the run's database
kind: a fresh SQLite file next to the bench database, or a bare table in the bench PostgreSQL
database, dropped after.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
FLOOR_BATCH = 20_000


def _floor_rows(connector: str, path: str, text_times: bool):
    """Our parser's records as plain rows (stream, key, time, payload JSON, media).

    Call it before the clock starts: the imports happen here, the parsing when iterated.
    """
    import importlib
    from datetime import UTC

    from connections.connectors.base import Artifact, BatchFacts, ParseOptions, payload_json
    from coverage.stored_times import utc_text  # the time's text as staging writes it

    parse = importlib.import_module(f"connections.connectors.{connector}").parse
    return _floor_iter(parse, Artifact, BatchFacts, ParseOptions, payload_json, utc_text, UTC, path, text_times)


def _floor_iter(parse, Artifact, BatchFacts, ParseOptions, payload_json, utc_text, UTC, path, text_times):  # noqa: N803
    for r in parse(Artifact(path=Path(path), filename=Path(path).name), BatchFacts(), ParseOptions()):
        at = r.event_at.astimezone(UTC)
        yield (r.stream, r.key, utc_text(at, at.toordinal()) if text_times else at, payload_json(r.payload),
               r.media or "")


def _floor_batches(rows, size: int = FLOOR_BATCH):
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def child_floor(connector: str, path: str, out: str) -> None:
    sys.path.insert(0, str(ROOT))
    url = os.environ["DATABASE_URL"]
    parsed = stored = 0
    if url.startswith("sqlite"):
        import sqlite3

        db_file = Path(urlsplit(url).path).with_name("floor.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        rows = _floor_rows(connector, path, True)
        began = time.perf_counter()
        con = sqlite3.connect(db_file, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")  # as the project's SQLite runs
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(
            "CREATE TABLE floor (stream TEXT, key TEXT, event_at TEXT, payload TEXT, media TEXT, "
            "UNIQUE (stream, key))"
        )
        sql = "INSERT OR IGNORE INTO floor VALUES (?, ?, ?, ?, ?)"
        for batch in _floor_batches(rows):
            con.execute("BEGIN")
            con.executemany(sql, batch)
            con.execute("COMMIT")
            parsed += len(batch)
        seconds = time.perf_counter() - began
        stored = con.execute("SELECT count(*) FROM floor").fetchone()[0]
        con.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        parts = urlsplit(url)
        with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql"))) as con:
            con.execute("DROP TABLE IF EXISTS bench_floor")
            con.commit()
            rows = _floor_rows(connector, path, False)
            began = time.perf_counter()
            con.execute(
                "CREATE TABLE bench_floor (stream varchar(40), key varchar(120), event_at timestamptz, "
                "payload jsonb, media varchar(10), UNIQUE (stream, key))"
            )
            con.commit()
            sql = "INSERT INTO bench_floor VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            for batch in _floor_batches(rows):
                with con.cursor() as cur:
                    cur.executemany(sql, batch)
                con.commit()
                parsed += len(batch)
            seconds = time.perf_counter() - began
            stored = con.execute("SELECT count(*) FROM bench_floor").fetchone()[0]
            con.execute("DROP TABLE bench_floor")
            con.commit()
    Path(out).write_text(json.dumps({"parsed": parsed, "rows": stored, "seconds": seconds}))


def child_rows(connector: str, path: str, out: str) -> None:
    """The preview's limit without a database (``_common.py rows CONNECTOR FILE OUT``).

    Our parser, and the rows staging builds from its records (``staging._stage_into``: UTC
    time, day, key cleaned, payload JSON), handed to a writer that keeps nothing. A preview
    that writes its rows anywhere cannot be faster than this.
    """
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ownerhub.settings")
    import importlib

    import django

    django.setup()
    from django.db import connection

    from connections.connectors.base import Artifact, BatchFacts, ParseOptions
    from coverage.pipeline import staging

    parse = importlib.import_module(f"connections.connectors.{connector}").parse
    result = staging.Staged()
    began = time.perf_counter()
    records = parse(Artifact(path=Path(path), filename=Path(path).name), BatchFacts(), ParseOptions())
    staging._stage_into(len, lambda items: None, connection.vendor == "sqlite", records, result)  # rows written nowhere
    seconds = time.perf_counter() - began
    Path(out).write_text(json.dumps({"parsed": result.parsed, "seconds": seconds}))
