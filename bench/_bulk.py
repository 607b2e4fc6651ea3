"""Bulk plumbing shared by the benches that seed a database directly (projection, records_api, search).

``open_database`` makes a fresh database, points Django at it, prints the machine and migrates it;
``create_database`` makes the database alone (SQLite in a temporary directory, or a new
``ownerhub_bench_<random>`` on a PostgreSQL server); ``Table`` writes rows of one model with raw
``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in large chunks, each in one transaction, with
every column the bench does not set at its default. No constraint, index or trigger is disabled.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 100_000  # rows per executemany / COPY transaction


def create_database(args) -> tuple[str, str, callable]:
    """(DATABASE_URL of a fresh database, var dir, cleanup)."""
    tmp = tempfile.mkdtemp(prefix="ownerhub-bench-")
    url = args.database_url
    if not url or url.startswith("sqlite"):
        if url and url not in ("sqlite://", "sqlite:///:memory:"):
            print("note: --database-url for SQLite is ignored; a fresh file in a temp dir is used")
        path = Path(tmp) / "bench.sqlite3"

        def cleanup():
            if args.keep:
                print(f"kept: {path}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)

        return f"sqlite:///{path}", tmp, cleanup

    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(f"unsupported database URL {url!r}: use SQLite (default) or PostgreSQL")
    import psycopg

    parts = urlsplit(url)
    name = f"ownerhub_bench_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    fresh = urlunsplit(parts._replace(path=f"/{name}"))

    def cleanup():
        shutil.rmtree(tmp, ignore_errors=True)
        if args.keep:
            print(f"kept: {fresh}")
            return
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return fresh, tmp, cleanup


def open_database(args) -> tuple[object, dict, callable]:
    """A fresh migrated database for the bench: (Django's connection, the environment a child process needs to
    reach it, cleanup). Prints the machine and the load average first."""
    url, var_dir, cleanup = create_database(args)
    env = {**os.environ, "DATABASE_URL": url, "OWNERHUB_VAR_DIR": var_dir,
           "DJANGO_SETTINGS_MODULE": "ownerhub.settings", "DATABASE_CONN_MAX_AGE": "0"}  # fmt: skip
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(machine(connection))
    print(f"load:    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min load average)")
    call_command("migrate", verbosity=0, interactive=False)
    return connection, env, cleanup


def machine(connection) -> str:
    from _common import ram_text  # bench/ is on sys.path when a bench script runs

    ram = ram_text()
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("select sqlite_version()")
            db = f"SQLite {c.fetchone()[0]}"
        else:
            c.execute("show server_version")
            db = f"PostgreSQL {c.fetchone()[0]}"
    import django

    return (
        f"machine: {os.cpu_count()} CPUs, {ram} RAM, {platform.platform()}\n"
        f"python:  {platform.python_version()}, Django {django.get_version()}\n"
        f"db:      {db} ({connection.vendor})"
    )


# ------------------------------------------------------------------------------------ rows


class Table:
    """Bulk writer for one model: the columns the bench sets, then every other column at its default."""

    def __init__(self, connection, model, columns: tuple[str, ...]):
        from django.db.models import JSONField

        self.connection = connection
        self.table = model._meta.db_table
        by_column = {f.column: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(by_column)
        if unknown:
            raise SystemExit(f"{self.table}: no column {sorted(unknown)}")
        rest, tail = [], []
        for f in model._meta.concrete_fields:
            if f.column in columns:
                continue
            if not f.has_default() and not f.null:
                raise SystemExit(
                    f"{self.table}.{f.column} needs a value: teach the bench that seeds it about it"
                )
            value = f.get_default() if f.has_default() else None
            if isinstance(f, JSONField):
                value = None if value is None and f.null else json.dumps(value)
            elif value is not None:
                value = f.get_db_prep_save(value, connection)
            rest.append(f.column)
            tail.append(value)
        self.columns = tuple(columns) + tuple(rest)
        self.tail = tuple(tail)

    def write(self, rows) -> int:
        """Write an iterable of tuples (the bench's columns) in chunks, each in one transaction."""
        from django.db import transaction

        n = 0
        chunk = []
        for row in rows:
            chunk.append(row + self.tail)
            if len(chunk) >= CHUNK:
                with transaction.atomic():
                    self._write(chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            with transaction.atomic():
                self._write(chunk)
            n += len(chunk)
        return n

    def _write(self, rows) -> None:
        cols = ", ".join(self.connection.ops.quote_name(c) for c in self.columns)
        with self.connection.cursor() as c:
            if self.connection.vendor == "postgresql":
                with c.cursor.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                c.executemany(f"INSERT INTO {self.table} ({cols}) VALUES ({marks})", rows)


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` by ``weights`` into whole numbers that add up to it exactly."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[
        : total - sum(out)
    ]:
        out[i] += 1
    return out

