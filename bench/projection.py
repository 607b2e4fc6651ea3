"""Benchmark the owner API list endpoint against a growing evidence store.

    uv run bench/projection.py                      # full size, fresh SQLite in a temp dir
    uv run bench/projection.py --scale 0.01         # tiny, to check the script works
    uv run bench/projection.py --database-url postgres://USER:PASS@127.0.0.1:5432/postgres

Creates a fresh database (SQLite in a temporary directory, or with a PostgreSQL URL a new
database ``ownerhub_bench_<random>`` on that server; the role needs CREATEDB), migrates it,
seeds one owner with 1,000 connections over the five connectors, then grows the evidence in
stages to 10k, 100k and 1M AcquisitionBatch rows. Records grow with the batches, five per
batch: 50k, 500k and 5M. After each stage it calls ``GET /api/owner/connections`` through
Django's test Client with a personal access token and reports the number of queries and the
median wall time. It prints figures; it asserts nothing about timings.

What is seeded, and how it stays consistent with a real commit:
- Batches: every receipt field filled (artifact, counts, media, day counts, phases, ...);
  manual exports have an artifact hash (a few are ``duplicate`` of an earlier batch or
  ``rejected``), phone pushes and feed pulls each belong to a successful CollectionRun.
- Records: unique per (connection, stream, key); ``first_batch`` is the batch that brought
  them and their count equals the batches' ``count_accepted``. RecordProvenance rows are
  skipped unless ``--provenance`` (the projection never reads them).
- CoverageSummary (one per connection with evidence, ``latest_batch`` = its newest committed
  batch) and LaneSummary (one per method) are recomputed from the seeded batches after each
  stage, as the commit keeps them.
- Conditions: credential (and runtime, for feeds) facts for connections that need them; each
  stage adds superseded history and one active fact per type, superseding the older one.
- Each stage appends newer evidence (stage 1 spans the last 60 days up to 3 h ago, stage 2
  up to 2 h ago, stage 3 up to 1 h ago), so every connection's verdict is the same at every
  stage and only the amount of history changes.

``--scale`` multiplies connections, batches and records (at least one connection per
connector). Bulk rows are written with raw ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in
large chunks inside transactions; no constraint, index or trigger is disabled. On PostgreSQL
the tables are ``VACUUM ANALYZE``d after each stage, as autovacuum would do after a bulk load;
on SQLite no ``ANALYZE`` is run (Django never does) unless ``--analyze``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

STAGES = (("10k", 10_000), ("100k", 100_000), ("1M", 1_000_000))
CONNECTIONS = 1_000
RECORDS_PER_BATCH = 5  # 5,000,000 records at 1,000,000 batches
CHUNK = 100_000  # rows per executemany / COPY transaction
HISTORY = timedelta(days=60)
# (end of stage window before the start of the run): every stage ends closer to now.
STAGE_ENDS = (timedelta(hours=3), timedelta(hours=2), timedelta(hours=1))

CONNECTORS = ("whatsapp", "google_timeline", "apple_health", "owntracks", "ical_feed")
# Relative share of batches: phones and feeds deliver many small batches, exports few.
WEIGHTS = {
    "whatsapp": 0.5,
    "google_timeline": 0.5,
    "apple_health": 0.5,
    "owntracks": 2.0,
    "ical_feed": 2.0,
}
FORMATS = {
    "whatsapp": "whatsapp_android_zip",
    "google_timeline": "google_timeline_device_json",
    "apple_health": "apple_health_zip",
    "owntracks": "owntracks_json",
    "ical_feed": "ical",
}
TRIGGERS = {"owner_artifact": "manual", "device_sync": "push", "provider_api": "scheduled"}


# ------------------------------------------------------------------------------------ set-up


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply connections, batches, records (default 1)",
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a PostgreSQL server to create the fresh bench database on (default: $DATABASE_URL, "
        "else SQLite in a temporary directory)",
    )
    p.add_argument("--calls", type=int, default=15, help="timed calls per stage (default 15)")
    p.add_argument(
        "--warmup", type=int, default=2, help="untimed calls per stage first (default 2)"
    )
    p.add_argument(
        "--provenance", action="store_true", help="also write one RecordProvenance row per record"
    )
    p.add_argument(
        "--analyze",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="refresh planner statistics after each stage (default: on for PostgreSQL, off for SQLite)",
    )
    p.add_argument(
        "--breakdown", action="store_true", help="print the median time of each query per stage"
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the bench database afterwards and print where"
    )
    return p.parse_args()


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
                    f"{self.table}.{f.column} needs a value: teach bench/projection.py about it"
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


@dataclass
class LaneAgg:
    batches: int = 0
    records: int = 0
    accepted: int = 0
    earliest: datetime | None = None
    through: datetime | None = None
    last_at: datetime | None = None
    last_id: int | None = None
    partial_id: int | None = None
    days: Counter = field(default_factory=Counter)
    media_days: set = field(default_factory=set)


@dataclass
class Conn:
    """One seeded connection, its profile (which verdict it shows) and its running aggregates."""

    pk: int
    connector: str
    k: int  # index among connections of the same connector
    method: str
    streams: tuple[str, ...]
    weight: float
    profile: str = "plain"
    last_committed: int | None = None  # newest committed batch id
    last_sha: str = ""
    last_created: datetime | None = None
    lane: LaneAgg = field(default_factory=LaneAgg)
    records: int = 0
    media: Counter = field(default_factory=Counter)
    media_batch: int | None = None
    hole: tuple[datetime, datetime] | None = None
    active_conditions: dict = field(default_factory=dict)  # type -> observed_at of the active one


def profile_of(connector: str, k: int) -> str:
    """Stable variety of verdicts: the same connection shows the same state at every stage."""
    if k % 50 == 49:
        return "no_evidence"
    table = {
        "whatsapp": {1: "missing_media", 2: "parser_warning"},
        "google_timeline": {1: "partial", 2: "hole"},
        "apple_health": {},
        "owntracks": {1: "token_revoked", 2: "paused", 3: "credential_rejected"},
        "ical_feed": {1: "one_failure", 2: "three_failures", 3: "runtime_unavailable"},
    }[connector]
    return table.get(k % 10, "plain")


class Seeder:
    def __init__(self, connection, args, t0: datetime):
        from connections.models import CollectionRun, Condition
        from coverage.models import AcquisitionBatch, Record, RecordProvenance

        self.connection = connection
        self.args = args
        self.t0 = t0
        self.sqlite = connection.vendor == "sqlite"
        self.rng = random.Random(20250101)
        self.next_ids = {"batch": 1, "record": 1, "run": 1, "condition": 1, "prov": 1}
        self.conns: list[Conn] = []
        self.counts = Counter()
        self.batches = Table(connection, AcquisitionBatch, (
            "id", "connection_id", "method", "trigger", "run_id", "source_format", "parser_version",
            "artifact_filename", "artifact_sha256", "artifact_bytes", "artifact_name", "window_key",
            "status", "reject_reason", "reject_detail", "event_earliest", "event_latest",
            "count_parsed", "count_accepted", "count_duplicate", "count_skipped", "count_failed",
            "media_declared", "media_attached", "media_missing", "gaps", "warnings",
            "duplicate_sources", "partial", "time_zone_assumed", "preview_counts", "day_counts",
            "media_days", "duplicate_of_id", "phases", "progress", "created_at", "committed_at",
        ))  # fmt: skip
        self.records = Table(connection, Record, (
            "id", "connection_id", "stream", "key", "event_at", "payload", "media", "first_batch_id",
        ))  # fmt: skip
        self.provenance = Table(
            connection, RecordProvenance, ("id", "record_id", "batch_id", "method")
        )
        self.runs = Table(connection, CollectionRun, (
            "id", "connection_id", "trigger", "started_at", "finished_at", "outcome", "error_class",
            "message", "records",
        ))  # fmt: skip
        self.conditions = Table(connection, Condition, (
            "id", "connection_id", "type", "status", "reason", "message", "observed_at", "expires_at",
            "superseded_at",
        ))  # fmt: skip

    def ts(self, value: datetime | None):
        """A UTC datetime as the backend stores it (Django keeps naive UTC text on SQLite)."""
        if value is None or not self.sqlite:
            return value
        return str(value.replace(tzinfo=None))

    def take(self, kind: str, n: int = 1) -> int:
        first = self.next_ids[kind]
        self.next_ids[kind] += n
        return first

    # -- the owner and connections -------------------------------------------------------------

    def seed_owner(self, n_connections: int) -> str:
        from django.contrib.auth import get_user_model

        from connections.connectors import get as get_manifest
        from connections.models import Connection, DeviceToken, OwnerProfile, hash_secret
        from coverage.services import issue_access_token

        owner = get_user_model().objects.create_user("bench", password=None)
        OwnerProfile.objects.create(owner=owner, time_zone="UTC")
        _, secret = issue_access_token(owner, name="bench")
        rows = []
        for i in range(n_connections):
            connector = CONNECTORS[i % len(CONNECTORS)]
            k = i // len(CONNECTORS)
            manifest = get_manifest(connector)
            pulled = manifest.path("provider_api") is not None
            profile = profile_of(connector, k)
            policy = Connection.Policy.INTERVAL if pulled else Connection.Policy.MANUAL
            rows.append(Connection(
                owner=owner, connector=connector, slug=f"{connector.replace('_', '-')}-{k:04d}",
                name=f"{manifest.name} {k:04d}",
                schedule_policy=Connection.Policy.PAUSED if profile == "paused" else policy,
                resume_policy=policy, interval_seconds=3600 if pulled else None,
                next_due_at=self.t0 + timedelta(hours=1) if pulled else None,
                feed_url=f"https://calendar.example.com/{uuid.uuid4().hex}.ics" if pulled else "",
                created_at=self.t0 - HISTORY - timedelta(days=1),
            ))  # fmt: skip
        made = Connection.objects.bulk_create(rows, batch_size=500)
        if any(c.pk is None for c in made):  # SQLite before RETURNING support
            made = list(Connection.objects.filter(owner=owner).order_by("pk"))
        tokens = []
        for i, conn in enumerate(made):
            manifest = conn.manifest
            profile = profile_of(conn.connector, i // len(CONNECTORS))
            weight = (
                0.0
                if profile == "no_evidence"
                else WEIGHTS[conn.connector] * self.rng.uniform(0.5, 1.5)
            )
            c = Conn(conn.pk, conn.connector, i // len(CONNECTORS), manifest.paths[0].method, manifest.streams,
                     weight, profile)  # fmt: skip
            if profile == "hole":
                start = datetime.combine(
                    (self.t0 - timedelta(days=40)).date(), datetime.min.time(), UTC
                )
                c.hole = (start, start + timedelta(days=10))
            self.conns.append(c)
            if c.method == "device_sync":
                secret_ = f"oh_dev_{uuid.uuid4().hex}"
                tokens.append(DeviceToken(
                    connection=conn, token_hash=hash_secret(secret_), hint=secret_[-4:],
                    revoked_at=self.t0 - timedelta(days=1) if profile == "token_revoked" else None,
                ))  # fmt: skip
        DeviceToken.objects.bulk_create(tokens)
        return secret

    # -- one stage -------------------------------------------------------------------------------

    def grow(self, n_batches: int, n_records: int, window: tuple[datetime, datetime]) -> None:
        per_conn = apportion(n_batches, [c.weight for c in self.conns])
        plan = []  # (conn, created_at, status) in id order
        for conn, n in zip(self.conns, per_conn, strict=True):
            w0, w1 = window
            for j in range(n):
                created = w0 + (w1 - w0) * (j + 1) / n
                created = created.replace(microsecond=0)
                plan.append((conn, created, j == n - 1))
        ids = self.take("batch", len(plan))
        statuses = []
        for offset, (conn, _created, last) in enumerate(plan):
            bid = ids + offset
            status = "committed"
            if conn.method == "owner_artifact" and not last:
                if bid % 50 == 7:
                    status = "duplicate"
                elif bid % 97 == 5:
                    status = "rejected"
            statuses.append(status)
        committed = [i for i, s in enumerate(statuses) if s == "committed"]
        accepted = [0] * len(plan)
        base, extra = divmod(n_records, len(committed)) if committed else (0, 0)
        for n, i in enumerate(committed):
            accepted[i] = (
                base + (1 if n < extra else 0) + ((-2, -1, 0, 1, 2)[n % 5] if base >= 2 else 0)
            )
        if committed:
            accepted[committed[-1]] += n_records - sum(accepted)

        batch_rows, record_rows, run_rows, prov_rows = [], [], [], []
        for offset, (conn, created, last) in enumerate(plan):
            bid = ids + offset
            self._batch(conn, bid, created, statuses[offset], accepted[offset], last,
                        batch_rows, record_rows, run_rows, prov_rows)  # fmt: skip
        self._failures(window[1], run_rows)
        t = time.perf_counter()
        self.counts["runs"] += self.runs.write(run_rows)
        self.counts["batches"] += self.batches.write(batch_rows)
        del batch_rows
        self.counts["records"] += self.records.write(record_rows)
        del record_rows
        if prov_rows:
            self.counts["provenance"] += self.provenance.write(prov_rows)
        self._conditions(window, per_conn)
        self._summaries()
        self._reset_sequences()
        self.write_seconds = time.perf_counter() - t

    def _batch(
        self, conn: Conn, bid, created, status, accepted, last, batches, records, runs, prov
    ):
        method = conn.method
        manual = method == "owner_artifact"
        committed_at = created + timedelta(seconds=5)
        sha = f"{bid:064x}" if manual else ""
        duplicate_of = None
        if status == "duplicate" and conn.last_committed is not None:
            duplicate_of, sha = conn.last_committed, conn.last_sha
        elif status == "duplicate":
            status = "rejected"
        earliest = conn.last_created or (created - timedelta(days=1))
        latest = created - timedelta(minutes=1)
        run_id = None
        if status == "committed" and not manual:
            run_id = self.take("run")
            runs.append((run_id, conn.pk, TRIGGERS[method], self.ts(created - timedelta(seconds=20)),
                         self.ts(created), "success", "", "", accepted))  # fmt: skip
        parsed = dup = failed = declared = missing = 0
        partial = False
        warnings = []
        days: Counter = Counter()
        media_days: set = set()
        if status == "committed":
            dup = bid % 3 if manual else 0
            if conn.profile == "parser_warning" and last:
                failed = 2
                warnings = [
                    {
                        "kind": "unreadable_line",
                        "detail": "2 lines could not be read.",
                        "position": "line 12",
                    }
                ]
            partial = conn.profile == "partial" and last
            parsed = accepted + dup + failed
            if conn.connector == "whatsapp":
                declared = accepted // 3
                missing = declared if conn.profile == "missing_media" else 0
            span = (latest - earliest) / max(accepted, 1)
            streams = conn.streams
            media_state = "missing" if missing else "attached"
            for j in range(accepted):
                at = earliest + span * (j + 0.5)
                if conn.hole and conn.hole[0] <= at < conn.hole[1]:
                    at = conn.hole[1] + (at - conn.hole[0]) / 100
                at = at.replace(microsecond=0)
                d = at.date().isoformat()
                days[d] += 1
                media = media_state if j < declared else ""
                if media == "missing":
                    media_days.add(d)
                rid = self.take("record")
                records.append((rid, conn.pk, streams[j % len(streams)], f"{bid}:{j}", self.ts(at),
                                f'{{"n": {j}, "batch": {bid}}}', media, bid))  # fmt: skip
                if self.args.provenance:
                    prov.append((self.take("prov"), rid, bid, method))
        phases = {}
        if status != "rejected":
            step = timedelta(milliseconds=400)
            phases = {
                name: (created + step * n).isoformat()
                for n, name in enumerate(
                    (
                        "received",
                        "parsed",
                        "deduplicated",
                        "committed",
                        "indexed",
                        "health_projected",
                    )
                )
            }
        counts = {
            "parsed": parsed,
            "accepted": accepted,
            "duplicate": dup,
            "skipped": 0,
            "failed": failed,
        }
        batches.append((
            bid, conn.pk, method, TRIGGERS[method], run_id, FORMATS[conn.connector], f"{conn.connector}/1",
            f"export-{bid}.zip" if manual else "", sha, 40_000 + 97 * parsed if manual else None,
            f"artifacts/{sha[:2]}/{sha}" if manual else "",
            f"device:{created:%Y-%m-%dT%H}" if method == "device_sync" else "",
            status, "malformed" if status == "rejected" else "",
            "The file is not a chat export." if status == "rejected" else "",
            self.ts(earliest if accepted else None), self.ts(latest if accepted else None),
            parsed, accepted if status == "committed" else 0, dup, 0, failed,
            declared, declared - missing, missing, "[]", json.dumps(warnings),
            json.dumps([{"batch_id": conn.last_committed, "count": dup}] if dup and conn.last_committed else []),
            partial, "UTC" if manual else "", json.dumps(counts) if manual and status == "committed" else None,
            json.dumps(dict(days)), json.dumps(sorted(media_days)), duplicate_of, json.dumps(phases), parsed,
            self.ts(created), self.ts(committed_at if status in ("committed", "duplicate") else None),
        ))  # fmt: skip
        conn.last_created = created
        if status != "committed":
            return
        conn.last_committed, conn.last_sha = bid, sha
        lane = conn.lane
        lane.batches += 1
        lane.records += accepted + dup
        lane.accepted += accepted
        if accepted:
            lane.earliest = min(lane.earliest or earliest, earliest)
            lane.through = max(lane.through or latest, latest)
        lane.last_at, lane.last_id = committed_at, bid
        lane.partial_id = bid if partial else None
        lane.days.update(days)
        lane.media_days |= media_days
        conn.records += accepted
        if declared:
            conn.media.update(declared=declared, attached=declared - missing, missing=missing)
            conn.media_batch = bid

    def _failures(self, end: datetime, runs) -> None:
        """Failed pulls after the newest success: one for ``one_failure``, three for ``three_failures``."""
        for conn in self.conns:
            n = {"one_failure": 1, "three_failures": 3}.get(conn.profile, 0)
            for j in range(n):
                at = end + timedelta(minutes=10 * (j + 1))
                runs.append((self.take("run"), conn.pk, "scheduled", self.ts(at), self.ts(at + timedelta(seconds=30)),
                             "failure", "HTTPError", "The feed answered 503.", 0))  # fmt: skip

    def _conditions(self, window, per_conn) -> None:
        """Superseded history (one per 20 new batches) and one active fact per type, per stage."""
        from django.db import transaction

        rows, supersede = [], defaultdict(list)  # observed_at -> [(connection, type)]
        for conn, n in zip(self.conns, per_conn, strict=True):
            types = []
            if conn.method in ("device_sync", "provider_api") and conn.profile != "no_evidence":
                types.append("credential")
            if conn.method == "provider_api" and conn.profile != "no_evidence":
                types.append("runtime")
            for type_ in types:
                history = max(1, n // 20)
                w0, w1 = window
                times = [w0 + (w1 - w0) * (j + 1) / (history + 1) for j in range(history)] + [w1]
                times = [t.replace(microsecond=0) for t in times]
                if type_ in conn.active_conditions:
                    supersede[self.ts(times[0])].append((conn.pk, type_))
                for j, at in enumerate(times):
                    final = j == len(times) - 1
                    status, reason, message = "ready", "probe_ok", ""
                    if final and type_ == "credential" and conn.profile == "credential_rejected":
                        status, reason, message = (
                            "rejected",
                            "unauthorized",
                            "The phone's token was refused.",
                        )
                    if final and type_ == "runtime" and conn.profile == "runtime_unavailable":
                        status, reason, message = (
                            "unavailable",
                            "collector_down",
                            "The collector is not running.",
                        )
                    rows.append((self.take("condition"), conn.pk, type_, status, reason, message, self.ts(at),
                                 self.ts(at + timedelta(days=2)) if type_ == "runtime" else None,
                                 None if final else self.ts(times[j + 1])))  # fmt: skip
                conn.active_conditions[type_] = times[-1]
        with transaction.atomic(), self.connection.cursor() as c:
            for at, pairs in supersede.items():
                c.executemany(
                    "UPDATE connections_condition SET superseded_at = %s "
                    "WHERE connection_id = %s AND type = %s AND superseded_at IS NULL",
                    [(at, pk, type_) for pk, type_ in pairs],
                )
        self.counts["conditions"] += self.conditions.write(rows)

    def _summaries(self) -> None:
        from connections.connectors import get as get_manifest
        from coverage.models import CoverageSummary, LaneSummary

        existing = {s.connection_id: s for s in CoverageSummary.objects.all()}
        lanes = {(s.connection_id, s.method): s for s in LaneSummary.objects.all()}
        new_s, new_l, upd_s, upd_l = [], [], [], []
        for conn in self.conns:
            lane = conn.lane
            if not lane.batches:
                continue
            holes = []
            if conn.hole and get_manifest(conn.connector).hole_after:
                start, end = conn.hole
                holes = [{"start": start.date().isoformat(), "end": (end - timedelta(days=1)).date().isoformat(),
                          "days": (end - start).days}]  # fmt: skip
            s = existing.get(conn.pk) or CoverageSummary(connection_id=conn.pk)
            s.record_count = conn.records
            s.earliest_event_at, s.covered_through = lane.earliest, lane.through
            s.media_declared = conn.media["declared"]
            s.media_attached = conn.media["attached"]
            s.media_missing = conn.media["missing"]
            s.media_batch_id = conn.media_batch
            s.holes = holes
            s.latest_batch_id = conn.last_committed
            s.updated_at = lane.last_at
            (upd_s if s.pk else new_s).append(s)
            ls = lanes.get((conn.pk, conn.method)) or LaneSummary(
                connection_id=conn.pk, method=conn.method
            )
            ls.batches, ls.records, ls.accepted = lane.batches, lane.records, lane.accepted
            ls.earliest_event_at, ls.covered_through = lane.earliest, lane.through
            ls.last_batch_at, ls.last_batch_id, ls.partial_batch_id = (
                lane.last_at,
                lane.last_id,
                lane.partial_id,
            )
            ls.day_counts = dict(sorted(lane.days.items()))
            ls.media_days = sorted(lane.media_days)
            (upd_l if ls.pk else new_l).append(ls)
        CoverageSummary.objects.bulk_create(new_s, batch_size=500)
        LaneSummary.objects.bulk_create(new_l, batch_size=500)
        s_fields = ["record_count", "earliest_event_at", "covered_through", "media_declared", "media_attached",
                    "media_missing", "media_batch", "holes", "latest_batch", "updated_at"]  # fmt: skip
        l_fields = ["batches", "records", "accepted", "earliest_event_at", "covered_through", "last_batch_at",
                    "last_batch", "partial_batch", "day_counts", "media_days"]  # fmt: skip
        if upd_s:
            CoverageSummary.objects.bulk_update(upd_s, s_fields, batch_size=200)
        if upd_l:
            LaneSummary.objects.bulk_update(upd_l, l_fields, batch_size=100)

    def _reset_sequences(self) -> None:
        """Explicit ids were written: let later ORM inserts continue after them (PostgreSQL)."""
        from django.core.management.color import no_style

        from connections.models import CollectionRun, Condition
        from coverage.models import AcquisitionBatch, Record, RecordProvenance

        sql = self.connection.ops.sequence_reset_sql(
            no_style(), [AcquisitionBatch, Record, RecordProvenance, CollectionRun, Condition]
        )
        with self.connection.cursor() as c:
            for statement in sql:
                c.execute(statement)

    def analyze(self) -> None:
        if self.sqlite:
            with self.connection.cursor() as c:
                c.execute("ANALYZE")
            return
        tables = ("coverage_acquisitionbatch", "coverage_record", "coverage_recordprovenance",
                  "coverage_lanesummary", "coverage_coveragesummary", "connections_collectionrun",
                  "connections_condition", "connections_connection", "connections_devicetoken")  # fmt: skip
        with self.connection.cursor() as c:
            for t in tables:
                c.execute(f"VACUUM (ANALYZE) {t}")


# ------------------------------------------------------------------------------------ measure


def measure(connection, secret: str, calls: int, warmup: int, expected: int):
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {secret}"})
    url = "/api/owner/connections"
    times, counts, per_query, body = [], [], [], None
    for n in range(warmup + calls):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(
                f"GET {url} answered {response.status_code}: {response.content[:300]!r}"
            )
        if n < warmup:
            body = response.content
            continue
        times.append(elapsed * 1000)
        counts.append(len(ctx.captured_queries))
        per_query.append([(float(q["time"]) * 1000, q["sql"]) for q in ctx.captured_queries])
    data = json.loads(body)
    if len(data) != expected:
        raise SystemExit(f"expected {expected} connections in the answer, got {len(data)}")
    states = Counter(item["verdict"]["state"] for item in data)
    return {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "queries": sorted(set(counts)),
        "per_query": per_query,
        "bytes": len(body),
        "states": states,
    }


def breakdown(per_query) -> str:
    """Median time of each query (by position) over the timed calls."""
    lines = []
    for pos in range(min(len(call) for call in per_query)):
        ms = statistics.median(call[pos][0] for call in per_query)
        sql = " ".join(per_query[0][pos][1].split())
        lines.append(f"    q{pos + 1:<2} {ms:9.2f} ms  {sql[:150]}")
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    url, var_dir, cleanup = create_database(args)
    os.environ["DATABASE_URL"] = url
    os.environ["OWNERHUB_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ownerhub.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        n_conn = max(len(CONNECTORS), round(CONNECTIONS * args.scale))
        stages = [(label, max(n_conn, round(n * args.scale))) for label, n in STAGES]
        analyze = args.analyze if args.analyze is not None else connection.vendor == "postgresql"
        print(machine(connection))
        print(
            f"scale:   {args.scale} -> {n_conn} connections; batches per stage "
            f"{', '.join(f'{n:,}' for _, n in stages)}; {RECORDS_PER_BATCH} records per batch; "
            f"provenance {'written' if args.provenance else 'skipped'}; "
            f"planner statistics {'refreshed after each stage' if analyze else 'not refreshed'}"
        )
        t = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"migrated in {time.perf_counter() - t:.1f} s", flush=True)

        t0 = datetime.now(UTC).replace(microsecond=0)
        seeder = Seeder(connection, args, t0)
        secret = seeder.seed_owner(n_conn)
        results = []
        done = 0
        start = t0 - HISTORY
        total_seed = 0.0
        for (label, target), end in zip(stages, STAGE_ENDS, strict=True):
            t = time.perf_counter()
            add = target - done
            seeder.grow(add, add * RECORDS_PER_BATCH, (start, t0 - end))
            done, start = target, t0 - end
            connection.close()  # measurement opens a fresh connection, as a web process would
            a = 0.0
            if analyze:
                ta = time.perf_counter()
                seeder.analyze()
                connection.close()
                a = time.perf_counter() - ta
            seed_s = time.perf_counter() - t
            total_seed += seed_s
            m = measure(connection, secret, args.calls, args.warmup, n_conn)
            m.update(label=label, counts=dict(seeder.counts), seed=seed_s, analyze=a)
            results.append(m)
            states = ", ".join(f"{k} {v}" for k, v in sorted(m["states"].items()))
            print(
                f"stage {label}: seeded in {seed_s:.1f} s (of which statistics {a:.1f} s); "
                f"{m['bytes'] / 1e6:.2f} MB answer; verdicts: {states}",
                flush=True,
            )
            if args.breakdown:
                print(breakdown(m["per_query"]), flush=True)

        print()
        print(f"GET /api/owner/connections ({n_conn} connections, bearer token), "
              f"{args.calls} timed calls after {args.warmup} warm-up calls per stage")  # fmt: skip
        head = (
            "stage",
            "batches",
            "records",
            "runs",
            "conditions",
            "queries",
            "median ms",
            "min ms",
            "max ms",
        )
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|")
        for m in results:
            c = m["counts"]
            q = "/".join(str(n) for n in m["queries"])
            print(
                f"| {m['label']} | {c['batches']:,} | {c['records']:,} | {c.get('runs', 0):,} | "
                f"{c.get('conditions', 0):,} | {q} | {m['median']:.1f} | {m['min']:.1f} | {m['max']:.1f} |"
            )
        first, last = results[0], results[-1]
        same = first["queries"] == last["queries"] and len(last["queries"]) == 1
        print()
        print(f"queries constant across stages: {'yes' if same else 'NO'}")
        print(f"ratio of median at {last['label']} to median at {first['label']}: "
              f"{last['median'] / first['median']:.2f}x")  # fmt: skip
        print(f"seeding took {total_seed:.0f} s in total")
    finally:
        connection.close()
        cleanup()


if __name__ == "__main__":
    main()
