"""Shared plumbing of the import benchmarks (``bench/import_*.py``).

The parent process (the bench script) generates the input file and never imports Django.
Everything measured runs in a child process started through a small *meter*: the meter
(``python bench/_common.py meter RESULT -- CMD...``) runs ``CMD``, waits for it and writes
its wall time and ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak RSS of that
one command (and of anything it waited for), never of the generator or of another run.

Children started through the meter:

- ``_common.py setup CONNECTOR``: migrate the fresh database, create an owner and a connection.
- ``_common.py import CONNECTOR FILE OUT``: the real import path, ``preview_artifact`` then
  ``start_commit(enqueue=False)`` and ``land_batch``, timed per phase, receipt counts in OUT.
- ``_common.py parse CONNECTOR FILE OUT``: our parser alone (no database), for the parse rate.
- ``_common.py floor CONNECTOR FILE OUT`` (``_floor.py``): the raw floor (issue 15): stream-parse with our parser
  and ``executemany`` INSERT OR IGNORE (PostgreSQL: ON CONFLICT DO NOTHING) of the same rows
  (stream, key, time, payload JSON, media) into a bare table with the same unique key
  (stream, key), batches of ``FLOOR_BATCH``, each its own transaction, on the run's database
  kind (a fresh SQLite file next to the bench database; on PostgreSQL a bare table in the bench
  database, dropped after).
- ``_common.py drop-database ADMIN_URL NAME`` (not metered): drop a PostgreSQL database a run
  kept with ``--keep`` (the suite's test of these benches does, after reading the kept files).
- the public comparison parser, in its own virtual environment (``uv venv`` + ``uv pip
  install`` under the run's temporary directory), never a dependency of the project.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _floor import FLOOR_BATCH, child_floor, child_rows

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
SLUG = "bench"


# ------------------------------------------------------------------------------- arguments
def arguments(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server to create a fresh bench database on (postgres://USER:PASS@HOST:PORT/DB; "
        "the role needs CREATEDB). Default: a fresh SQLite file in the temporary directory",
    )
    p.add_argument(
        "--keep", metavar="DIR", help="generate into DIR and keep it (and the bench database)"
    )
    p.add_argument("--no-compare", action="store_true", help="skip the public comparison parser")
    p.add_argument(
        "--profile", action="store_true", help="also write a cProfile of the import (import.prof)"
    )
    return p


# ------------------------------------------------------------------------------- environment
class Run:
    """Working directory, fresh database and the environment the children get."""

    def __init__(self, args: argparse.Namespace, tag: str):
        self.args = args
        if args.keep:
            self.dir = Path(args.keep).resolve()
            self.dir.mkdir(parents=True, exist_ok=True)
        else:
            self.dir = Path(tempfile.mkdtemp(prefix=f"ownerhub-bench-{tag}-"))
        self.pg_admin = self.pg_name = None
        url = args.database_url
        if not url or url.startswith("sqlite"):
            db_path = self.dir / "bench.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            self.url = f"sqlite:///{db_path}"
            self.db_label = "SQLite"
        elif url.startswith(("postgres://", "postgresql://")):
            import psycopg

            parts = urlsplit(url)
            self.pg_name = f"ownerhub_bench_{uuid.uuid4().hex[:8]}"
            self.pg_admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.url = urlunsplit(parts._replace(path=f"/{self.pg_name}"))
            self.db_label = "PostgreSQL"
        else:
            sys.exit(f"unsupported database URL {url!r}: SQLite (default) or PostgreSQL")
        self.artifacts = self.dir / "artifacts"
        shutil.rmtree(self.artifacts, ignore_errors=True)
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "OWNERHUB_VAR_DIR": str(self.dir / "var"),
            "ARTIFACT_ROOT": str(self.artifacts),
            "DJANGO_SETTINGS_MODULE": "ownerhub.settings",
            "PYTHONPATH": str(ROOT),
        }
        (self.dir / "var").mkdir(exist_ok=True)

    def cleanup(self) -> None:
        if self.args.keep:
            print(f"kept: {self.dir}" + (f" and database {self.url}" if self.pg_name else ""))
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.pg_name:
            drop_database(self.pg_admin, self.pg_name)

    # -- children
    def ours(self, *argv: str) -> dict:
        """Run ``_common.py ARGV...`` with the project's interpreter through the meter."""
        return meter([sys.executable, str(HERE), *argv], self.env, self.dir)

    def setup(self, connector: str) -> None:
        m = self.ours("setup", connector, str(self.dir / "setup.json"))
        info = json.loads((self.dir / "setup.json").read_text())
        self.db_version = info["db"]
        print(f"migrated a fresh {self.db_label} database in {m['wall']:.1f} s", flush=True)

    def import_(self, connector: str, path: Path) -> dict:
        out = self.dir / "import.json"
        argv = ["import", connector, str(path), str(out)]
        if self.args.profile:
            argv.append(str(self.dir / "import.prof"))
        m = self.ours(*argv)
        return {**json.loads(out.read_text()), "maxrss_mb": m["maxrss_mb"]}

    def parse(self, connector: str, path: Path) -> dict:
        out = self.dir / "parse.json"
        m = self.ours("parse", connector, str(path), str(out))
        return {**json.loads(out.read_text()), "maxrss_mb": m["maxrss_mb"]}

    def floor(self, connector: str, path: Path) -> dict:
        """The raw floor, and (``rows_seconds``) our parser with staging's row building, written nowhere."""
        out, rows = self.dir / "floor.json", self.dir / "rows.json"
        m = self.ours("floor", connector, str(path), str(out))
        self.ours("rows", connector, str(path), str(rows))
        return {**json.loads(out.read_text()), "maxrss_mb": m["maxrss_mb"],
                "rows_seconds": json.loads(rows.read_text())["seconds"]}

    def tool_python(self, *packages: str) -> str:
        """A virtual environment with the public tool, separate from the project's."""
        venv = self.dir / f"venv-{packages[0]}"
        if not (venv / "bin" / "python").exists():
            subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            ["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *packages],
            check=True,
        )
        return str(venv / "bin" / "python")

    def tool(self, python: str, code: str, *argv: str) -> dict:
        """Run ``code`` (a script that writes JSON to its last argument) with ``python``, metered."""
        script = self.dir / f"tool-{uuid.uuid4().hex[:8]}.py"
        script.write_text(code)
        out = self.dir / "tool.json"
        m = meter([python, str(script), *argv, str(out)], {**os.environ}, self.dir)
        return {**json.loads(out.read_text()), "maxrss_mb": m["maxrss_mb"], "wall": m["wall"]}

    def tool_version(self, python: str, dist: str) -> str:
        out = subprocess.run(
            [python, "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()


def drop_database(admin_url: str, name: str) -> None:
    """Drop a bench's PostgreSQL database ``name`` through the server's ``admin_url``.

    FORCE may not end an autovacuum worker still busy with the fresh tables (it runs as the
    server's superuser): wait for it rather than fail after the figures. Also a child
    (``_common.py drop-database ADMIN_URL NAME``) for a database a run kept (``--keep``).
    """
    import psycopg

    for attempt in range(60):
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == 59:
                raise
            time.sleep(1)


def meter(cmd: list[str], env: dict, workdir: Path) -> dict:
    """Run ``cmd`` under the meter; return its wall time (s), peak RSS (MB) and return code."""
    result = workdir / f"meter-{uuid.uuid4().hex[:8]}.json"
    rc = subprocess.call(
        [sys.executable, str(HERE), "meter", str(result), "--", *cmd], env=env, cwd=ROOT
    )
    data = json.loads(result.read_text())
    result.unlink()
    if rc or data["rc"]:
        sys.exit(f"child failed (rc {data['rc']}): {' '.join(cmd)}")
    return data


def ram_text() -> str:
    """The machine's RAM in GiB, or "?" where /proc/meminfo is not readable."""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        return f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        return "?"


def machine(db_label: str, db_version: str) -> str:
    ram = ram_text()
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return (
        f"machine: {os.cpu_count()} CPUs ({cpu}), {ram} RAM, {platform.platform()}\n"
        f"python:  {platform.python_version()} ({platform.python_implementation()})\n"
        f"db:      {db_version}\n"
        f"load:    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min load average before the runs; "
        "other work on the machine slows every figure)"
    )


def report_ours(n_label: str, imp: dict, parse: dict) -> None:
    n = imp["parsed"]
    total = imp["preview_s"] + imp["commit_s"]
    print(
        f"receipt: status {imp['status']}; parsed {imp['parsed']:,}, accepted {imp['accepted']:,}, "
        f"duplicate {imp['duplicate']:,}, skipped {imp['skipped']:,}, failed {imp['failed']:,}; "
        f"records in the database {imp['records']:,}"
    )
    print(
        f"ours, parse alone:   {parse['count']:,} {n_label} in {parse['seconds']:.2f} s = "
        f"{parse['count'] / parse['seconds']:,.0f} {n_label}/s; peak RSS {parse['maxrss_mb']:.0f} MB"
    )
    print(
        f"ours, whole import:  {n:,} {n_label} in {total:.2f} s = {n / total:,.0f} {n_label}/s "
        f"(preview: store+hash+parse+stage+measure {imp['preview_s']:.2f} s; "
        f"commit: dedupe+land+provenance+summaries {imp['commit_s']:.2f} s); peak RSS {imp['maxrss_mb']:.0f} MB "
        f"({imp['maxrss_preview_mb']:.0f} MB by the end of the preview)",
        flush=True,
    )


def report_floor(n_label: str, imp: dict, parse: dict, floor: dict, db_label: str) -> None:
    """The issue-15 ratios, all from this one run on this one file."""
    whole = imp["preview_s"] + imp["commit_s"]
    print(
        f"floor ({db_label}, parse + executemany of {FLOOR_BATCH:,}-row batches into a bare table, unique (stream, key)): "
        f"{floor['parsed']:,} {n_label}, {floor['rows']:,} rows in {floor['seconds']:.2f} s = "
        f"{floor['parsed'] / floor['seconds']:,.0f} {n_label}/s; peak RSS {floor['maxrss_mb']:.0f} MB"
    )
    print(
        f"ratios (issue 15 goals): whole import / floor = {whole / floor['seconds']:.2f}x (goal <= 1.3x); "
        f"time to preview / parser alone = {imp['preview_s'] / parse['seconds']:.2f}x (goal <= 1.5x); "
        f"commit / floor = {imp['commit_s'] / floor['seconds']:.2f}x; "
        f"peak RSS {imp['maxrss_mb']:.0f} MB (goal < 250 MB)",
        flush=True,
    )
    print(
        f"preview limit: our parser plus the rows staging builds, written nowhere: {floor['rows_seconds']:.2f} s "
        f"= {floor['rows_seconds'] / parse['seconds']:.2f}x the parser alone",
        flush=True,
    )


def report_reimport(n_label: str, first: dict, again: dict) -> None:
    """A second import of a longer export: its preview against the first's, its commit per new record."""
    new = again["accepted"]
    print(
        f"re-import: {again['parsed']:,} {n_label}, {new:,} new, {again['duplicate']:,} duplicate; "
        f"preview {again['preview_s']:.2f} s ({again['preview_s'] / first['preview_s']:.2f}x the first import's "
        f"{first['preview_s']:.2f} s); commit {again['commit_s']:.2f} s ({again['commit_s'] / first['commit_s']:.2f}x "
        f"the first's {first['commit_s']:.2f} s for {new / max(first['accepted'], 1):.1%} of its new records); "
        f"peak RSS {again['maxrss_mb']:.0f} MB",
        flush=True,
    )


def mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


# ------------------------------------------------------------------------------- children
def _django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _child_meter(result: str, cmd: list[str]) -> None:
    began = time.perf_counter()
    rc = subprocess.call(cmd)
    wall = time.perf_counter() - began
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    Path(result).write_text(json.dumps({"rc": rc, "wall": wall, "maxrss_mb": peak_kb / 1024}))


def _child_setup(connector: str, out: str) -> None:
    _django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection as db

    from connections.models import Connection

    call_command("migrate", verbosity=0, interactive=False)
    owner = get_user_model().objects.create_user("bench", password="bench-password-1")
    Connection.objects.create(
        owner=owner, connector=connector, slug=SLUG, name=f"Bench {connector}"
    )
    with db.cursor() as c:
        if db.vendor == "sqlite":
            c.execute("select sqlite_version()")
            version = f"SQLite {c.fetchone()[0]}"
        else:
            c.execute("show server_version")
            version = f"PostgreSQL {c.fetchone()[0]}"
    Path(out).write_text(json.dumps({"db": version}))


def _child_import(connector: str, path: str, out: str, prof: str | None) -> None:
    _django()
    from connections.models import Connection
    from coverage.models import Record
    from coverage.pipeline import land_batch, preview_artifact, start_commit

    conn = Connection.objects.get(slug=SLUG, connector=connector)
    profiler = None
    slow: list[str] = []
    if prof:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()

    def timed(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if (took := time.perf_counter() - t) > 0.05:
                slow.append(
                    f"{took:8.2f} s  {'many ' if many else ''}{' '.join(sql.split())[:300]}"
                )

    from django.db import connection as db

    with db.execute_wrapper(timed) if prof else contextlib.nullcontext():
        began = time.perf_counter()
        with open(path, "rb") as fh:
            batch = preview_artifact(conn, fh, Path(path).name)
        previewed = time.perf_counter()
        rss_preview_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        batch = start_commit(batch, enqueue=False)
        batch = land_batch(batch.pk)
        landed = time.perf_counter()
    if profiler:
        profiler.disable()
        profiler.dump_stats(prof)
        Path(prof).with_suffix(".sql.txt").write_text("\n".join(slow) + "\n")
    phases = batch.phases or {}
    Path(out).write_text(
        json.dumps(
            {
                "status": batch.status,
                "parsed": batch.count_parsed,
                "accepted": batch.count_accepted,
                "duplicate": batch.count_duplicate,
                "skipped": batch.count_skipped,
                "failed": batch.count_failed,
                "records": Record.objects.filter(connection=conn).count(),
                "preview_s": previewed - began,
                "commit_s": landed - previewed,
                "maxrss_preview_mb": rss_preview_kb / 1024,  # this process's peak by the end of the preview
                "phases": phases,
            }
        )
    )


def _child_parse(connector: str, path: str, out: str) -> None:
    sys.path.insert(0, str(ROOT))
    import importlib

    from connections.connectors.base import Artifact, BatchFacts, ParseOptions

    parse = importlib.import_module(f"connections.connectors.{connector}").parse
    facts = BatchFacts()
    began = time.perf_counter()
    count = 0
    for _ in parse(Artifact(path=Path(path), filename=Path(path).name), facts, ParseOptions()):
        count += 1
    seconds = time.perf_counter() - began
    Path(out).write_text(json.dumps({"count": count, "seconds": seconds}))


if __name__ == "__main__":
    what, rest = sys.argv[1], sys.argv[2:]
    if what == "meter":
        _child_meter(rest[0], rest[2:])  # rest[1] is "--"
    elif what == "setup":
        _child_setup(*rest)
    elif what == "import":
        _child_import(rest[0], rest[1], rest[2], rest[3] if len(rest) > 3 else None)
    elif what == "parse":
        _child_parse(*rest)
    elif what == "floor":
        child_floor(*rest)
    elif what == "rows":
        child_rows(*rest)
    elif what == "drop-database":
        drop_database(*rest)
    else:
        sys.exit(f"unknown child {what!r}")
