"""Benchmark the records API: stream a million records, and page through them (issue 17).

    uv run bench/records_api.py                     # 1,000,000 and 100,000 records, fresh SQLite
    uv run bench/records_api.py --records 20000 --compare 2000      # tiny, checks the script
    uv run bench/records_api.py --database-url postgres://USER:PASS@127.0.0.1:5432/postgres

Creates a fresh database (SQLite in a temporary directory, or ``ownerhub_bench_<random>`` on a
PostgreSQL server, dropped after), migrates it and seeds one owner with two phone sources: one
with ``--records`` location records, one with ``--compare`` (bulk rows, as bench/projection.py
writes them; every tenth record was delivered a second time, by an export, so it has a
provenance row). Then:

- NDJSON: for each source, a fresh waitress server on 127.0.0.1 serves
  ``GET /api/owner/connections/{slug}/records`` with ``Accept: application/x-ndjson`` to a plain
  HTTP client that reads the stream to its end; printed: records, seconds, records/s, and the
  server's RSS before the request and its peak (``VmHWM``), so the two sizes show whether memory
  stays flat.
- JSON pages: in this process, through Django's test Client, the pages of the larger source are
  followed by ``next_cursor``; printed: the number of queries and the time of page 1 and of
  page ``--pages`` (CaptureQueriesContext), so the query count can be compared across pages.

It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _bulk import ROOT, Table, open_database
from device_push import free_port, wait_for_port

NDJSON = "application/x-ndjson"
PROVENANCE_EVERY = 10  # every tenth record also came with a later export


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=1_000_000, help="records of the large source")
    p.add_argument("--compare", type=int, default=100_000, help="records of the small source (0: none)")
    p.add_argument("--pages", type=int, default=100, help="JSON page to compare with page 1 (default 100)")
    p.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a PostgreSQL server to create the fresh bench database on (default: $DATABASE_URL, "
        "else SQLite in a temporary directory)",
    )
    p.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    p.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return p.parse_args()


# ------------------------------------------------------------------------------------ seeding


def seed(connection, sizes: dict[str, int]) -> str:
    """One owner, one phone source per size; returns the owner's API token (the secret)."""
    from django.contrib.auth import get_user_model

    from connections.models import Connection, OwnerProfile
    from connections.tokens import issue_access_token
    from coverage.models import AcquisitionBatch, Record, RecordProvenance

    owner = get_user_model().objects.create_user("bench", password=None)
    OwnerProfile.objects.create(owner=owner, time_zone="UTC")
    _, secret = issue_access_token(owner, name="bench")
    records = Table(connection, Record, (
        "id", "connection_id", "stream", "key", "event_at", "payload", "media", "first_batch_id",
    ))  # fmt: skip
    provenance = Table(connection, RecordProvenance, ("id", "record_id", "batch_id", "method"))
    sqlite = connection.vendor == "sqlite"
    first_id = 1
    for slug, n in sizes.items():
        conn = Connection.objects.create(owner=owner, connector="owntracks", slug=slug, name=f"Phone {slug}")
        pushed, exported = (
            AcquisitionBatch.objects.create(
                connection=conn, method=method, trigger=trigger, status="committed", source_format=fmt,
                count_parsed=n, count_accepted=n if method == "device_sync" else 0,
            )
            for method, trigger, fmt in (("device_sync", "push", "owntracks_json"),
                                         ("owner_artifact", "manual", "owntracks_json"))
        )  # fmt: skip
        t = time.perf_counter()
        records.write(_record_rows(first_id, conn.pk, pushed.pk, n, sqlite))
        provenance.write(
            (rid, rid, exported.pk, "owner_artifact")
            for rid in range(first_id, first_id + n, PROVENANCE_EVERY)
        )
        print(f"seeded {n:,} records for {slug} in {time.perf_counter() - t:.1f} s", flush=True)
        first_id += n
    _reset_sequences(connection)
    return secret


def _record_rows(first_id: int, connection_id: int, batch_id: int, n: int, sqlite: bool):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(n):
        at = start + timedelta(seconds=30 * i)
        lat, lon = 52.52 + (i % 900) / 10_000, 13.40 + (i % 700) / 10_000
        payload = f'{{"lat": {lat:.5f}, "lon": {lon:.5f}, "acc": {5 + i % 40}, "tid": "ph"}}'
        yield (first_id + i, connection_id, "locations", f"{at:%Y-%m-%dT%H:%M:%SZ}:ph",
               str(at.replace(tzinfo=None)) if sqlite else at, payload, "", batch_id)  # fmt: skip


def _reset_sequences(connection) -> None:
    from django.core.management.color import no_style

    from coverage.models import Record, RecordProvenance

    with connection.cursor() as c:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Record, RecordProvenance]):
            c.execute(statement)
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("VACUUM (ANALYZE) coverage_record")
            c.execute("VACUUM (ANALYZE) coverage_recordprovenance")


# ------------------------------------------------------------------------------------ measure


def _rss_kb(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` (peak) of a process, in kB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def stream_once(env: dict, secret: str, slug: str, threads: int) -> dict:
    """A fresh waitress server; one NDJSON request read to its end by a plain HTTP client."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "waitress", f"--port={port}", "--host=127.0.0.1", f"--threads={threads}",
         "ownerhub.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port)
        headers = {"Authorization": f"Bearer {secret}", "Accept": NDJSON}
        url = f"/api/owner/connections/{slug}/records"
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        warm.request("GET", url + "?limit=1", headers={"Authorization": f"Bearer {secret}"})
        warm.getresponse().read()
        warm.close()
        before = _rss_kb(server.pid, "VmRSS")
        lines, size, began = 0, 0, time.perf_counter()
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        client.request("GET", url, headers=headers)
        response = client.getresponse()
        while chunk := response.read(1 << 16):
            lines += chunk.count(b"\n")
            size += len(chunk)
        seconds = time.perf_counter() - began
        client.close()
        peak = _rss_kb(server.pid, "VmHWM")
        return {"status": response.status, "lines": lines, "bytes": size, "seconds": seconds,
                "rss_before_mb": before / 1024, "peak_mb": peak / 1024}  # fmt: skip
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def pages(connection, secret: str, slug: str, last: int) -> list[tuple[int, list[str], float, int]]:
    """(page, its queries, ms, records) for pages 1, 2 and ``last``, following next_cursor."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {secret}"})
    url = f"/api/owner/connections/{slug}/records"
    cursor, out = None, []
    for page in range(1, last + 1):
        with CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            response = client.get(url, {"cursor": cursor} if cursor else {})
            ms = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"page {page}: {response.status_code} {response.content[:300]!r}")
        body = response.json()
        if page in (1, 2, last):
            out.append((page, [q["sql"] for q in ctx.captured_queries], ms, len(body["records"])))
        cursor = body["next_cursor"]
        if cursor is None:
            print(f"note: the records end at page {page}")
            break
    return out


def report_pages(measured: list[tuple[int, list[str], float, int]]) -> None:
    for page, queries, ms, n in measured:
        print(f"JSON page {page}: {len(queries)} queries, {ms:.1f} ms, {n} records", flush=True)
    first, last = [_shape(q) for q in measured[0][1]], [_shape(q) for q in measured[-1][1]]
    for sql in first:
        if sql not in last:  # e.g. the token's last use, written at most once in a while
            print(f"  only on page 1: {sql[:140]}")
    for sql in last:
        if sql not in first:
            print(f"  only on page {measured[-1][0]}: {sql[:140]}")


def _shape(sql: str) -> str:
    """A statement without its values, to compare the queries of two pages."""
    return " ".join(re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", sql).split())


def report_stream(slug: str, n: int, s: dict) -> None:
    rate = s["lines"] / s["seconds"] if s["seconds"] else 0
    print(
        f"NDJSON {slug}: {n:,} records seeded, {s['lines']:,} lines ({s['bytes'] / 1e6:,.1f} MB, "
        f"HTTP {s['status']}) in {s['seconds']:.1f} s = {rate:,.0f} records/s; server RSS "
        f"{s['rss_before_mb']:.0f} MB before the request, peak {s['peak_mb']:.0f} MB",
        flush=True,
    )


def main() -> None:
    args = parse_args()
    connection, env, cleanup = open_database(args)
    try:
        sizes = {"large": args.records, **({"small": args.compare} if args.compare else {})}
        secret = seed(connection, sizes)
        connection.close()
        report_pages(pages(connection, secret, "large", args.pages))
        connection.close()
        for slug, n in sorted(sizes.items(), key=lambda kv: kv[1]):
            report_stream(slug, n, stream_once(env, secret, slug, args.threads))
    finally:
        connection.close()
        cleanup()


if __name__ == "__main__":
    main()
