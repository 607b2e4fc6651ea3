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
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from _bulk import ROOT, create_database, machine
from projection_facts import CONNECTIONS, CONNECTORS, HISTORY, RECORDS_PER_BATCH, STAGE_ENDS, STAGES

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
        body = response.content
        if n < warmup:
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



def run_stages(connection, args, n_conn: int, stages, analyze: bool) -> list[dict]:
    """Seed each stage, then measure the endpoint on a fresh connection; one line per stage."""
    from projection_seed import Seeder

    t0 = datetime.now(UTC).replace(microsecond=0)
    seeder = Seeder(connection, args, t0)
    secret = seeder.seed_owner(n_conn)
    results = []
    done = 0
    start = t0 - HISTORY
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
    return results


def report(results: list[dict], args, n_conn: int) -> None:
    print()
    print(f"GET /api/owner/connections ({n_conn} connections, bearer token), "
          f"{args.calls} timed calls after {args.warmup} warm-up calls per stage")  # fmt: skip
    head = ("stage", "batches", "records", "runs", "conditions", "queries", "median ms", "min ms", "max ms")
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
    print(f"seeding took {sum(m['seed'] for m in results):.0f} s in total")


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
        report(run_stages(connection, args, n_conn, stages, analyze), args, n_conn)
    finally:
        connection.close()
        cleanup()


if __name__ == "__main__":
    main()
