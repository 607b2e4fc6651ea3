"""The Seeder of bench/projection.py: one owner, its connections, and each stage's rows."""

from __future__ import annotations

import importlib
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from _bulk import Table, apportion
from projection_facts import (
    CONNECTORS,
    FORMATS,
    HISTORY,
    TRIGGERS,
    WEIGHTS,
    Conn,
    Facts,
    profile_of,
)

PHASES = ("received", "parsed", "deduplicated", "committed", "indexed", "health_projected")


@dataclass
class _Outcome:
    """What one batch brought: its counts, warnings and the days its records fall on."""

    parsed: int = 0
    dup: int = 0
    failed: int = 0
    declared: int = 0
    missing: int = 0
    partial: bool = False
    warnings: list = field(default_factory=list)
    days: Counter = field(default_factory=Counter)
    media_days: set = field(default_factory=set)


def _phases(created: datetime, status: str) -> dict:
    if status == "rejected":
        return {}
    step = timedelta(milliseconds=400)
    return {name: (created + step * n).isoformat() for n, name in enumerate(PHASES)}


class Seeder(Facts):
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
        o = _Outcome()
        if status == "committed":
            self._committed(conn, bid, accepted, last, o, (earliest, latest), records, prov)
        batches.append(self._batch_row(
            conn, bid, created, status, accepted, o, (earliest, latest), sha, run_id, duplicate_of, committed_at
        ))  # fmt: skip
        conn.last_created = created
        if status == "committed":
            self._account(conn, bid, sha, accepted, o, (earliest, latest), committed_at)

    def _committed(self, conn: Conn, bid, accepted, last, o: _Outcome, span_, records, prov) -> None:
        """A committed batch's counts, warnings and records (appended to ``records``, ``prov``)."""
        manual = conn.method == "owner_artifact"
        o.dup = bid % 3 if manual else 0
        if conn.profile == "parser_warning" and last:
            o.failed = 2
            o.warnings = [
                {
                    "kind": "unreadable_line",
                    "detail": "2 lines could not be read.",
                    "position": "line 12",
                }
            ]
        o.partial = conn.profile == "partial" and last
        o.parsed = accepted + o.dup + o.failed
        if conn.connector == "whatsapp":
            o.declared = accepted // 3
            o.missing = o.declared if conn.profile == "missing_media" else 0
        earliest, latest = span_
        span = (latest - earliest) / max(accepted, 1)
        streams = conn.streams
        media_state = "missing" if o.missing else "attached"
        for j in range(accepted):
            at = earliest + span * (j + 0.5)
            if conn.hole and conn.hole[0] <= at < conn.hole[1]:
                at = conn.hole[1] + (at - conn.hole[0]) / 100
            at = at.replace(microsecond=0)
            d = at.date().isoformat()
            o.days[d] += 1
            media = media_state if j < o.declared else ""
            if media == "missing":
                o.media_days.add(d)
            rid = self.take("record")
            records.append((rid, conn.pk, streams[j % len(streams)], f"{bid}:{j}", self.ts(at),
                            f'{{"n": {j}, "batch": {bid}}}', media, bid))  # fmt: skip
            if self.args.provenance:
                prov.append((self.take("prov"), rid, bid, conn.method))

    def _batch_row(
        self, conn: Conn, bid, created, status, accepted, o: _Outcome, span_, sha, run_id, duplicate_of, committed_at
    ) -> tuple:
        method = conn.method
        manual = method == "owner_artifact"
        earliest, latest = span_
        parsed, dup, failed, declared, missing = o.parsed, o.dup, o.failed, o.declared, o.missing
        counts = {
            "parsed": parsed,
            "accepted": accepted,
            "duplicate": dup,
            "skipped": 0,
            "failed": failed,
        }
        return (
            bid, conn.pk, method, TRIGGERS[method], run_id, FORMATS[conn.connector], _reader(conn.connector),
            f"export-{bid}.zip" if manual else "", sha, 40_000 + 97 * parsed if manual else None,
            f"artifacts/{sha[:2]}/{sha}" if manual else "",
            f"device:{created:%Y-%m-%dT%H}" if method == "device_sync" else "",
            status, "malformed" if status == "rejected" else "",
            "The file is not a chat export." if status == "rejected" else "",
            self.ts(earliest if accepted else None), self.ts(latest if accepted else None),
            parsed, accepted if status == "committed" else 0, dup, 0, failed,
            declared, declared - missing, missing, "[]", json.dumps(o.warnings),
            json.dumps([{"batch_id": conn.last_committed, "count": dup}] if dup and conn.last_committed else []),
            o.partial, "UTC" if manual else "", json.dumps(counts) if manual and status == "committed" else None,
            json.dumps(dict(o.days)), json.dumps(sorted(o.media_days)), duplicate_of, json.dumps(_phases(created, status)), parsed,
            self.ts(created), self.ts(committed_at if status in ("committed", "duplicate") else None),
        )  # fmt: skip

    def _account(self, conn: Conn, bid, sha, accepted, o: _Outcome, span_, committed_at) -> None:
        """Keep the connection's running aggregates, as the commit keeps its summaries."""
        earliest, latest = span_
        conn.last_committed, conn.last_sha = bid, sha
        lane = conn.lane
        lane.batches += 1
        lane.records += accepted + o.dup
        lane.accepted += accepted
        if accepted:
            lane.earliest = min(lane.earliest or earliest, earliest)
            lane.through = max(lane.through or latest, latest)
        lane.last_at, lane.last_id = committed_at, bid
        lane.partial_id = bid if o.partial else None
        lane.days.update(o.days)
        lane.media_days |= o.media_days
        conn.records += accepted
        if o.declared:
            conn.media.update(declared=o.declared, attached=o.declared - o.missing, missing=o.missing)
            conn.media_batch = bid

    def _failures(self, end: datetime, runs) -> None:
        """Failed pulls after the newest success: one for ``one_failure``, three for ``three_failures``."""
        for conn in self.conns:
            n = {"one_failure": 1, "three_failures": 3}.get(conn.profile, 0)
            for j in range(n):
                at = end + timedelta(minutes=10 * (j + 1))
                runs.append((self.take("run"), conn.pk, "scheduled", self.ts(at), self.ts(at + timedelta(seconds=30)),
                             "failure", "HTTPError", "The feed answered 503.", 0))  # fmt: skip

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


def _reader(connector: str) -> str:
    """The connector's current reader: seeded imports are read by today's parser (an installation whose
    imports are all outdated is the re-read's case, not the dashboard's everyday one)."""
    return getattr(importlib.import_module(f"connections.connectors.{connector}"), "PARSER_VERSION", f"{connector}/1")
