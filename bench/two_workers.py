"""Whole-import throughput with one and with two workers, two Timeline exports at once (issue 15).

    uv run bench/two_workers.py --database-url postgres://USER:PASS@127.0.0.1:5432/postgres
    uv run bench/two_workers.py --database-url ... --points 100000     # smaller, to check the script

Generates two Records.json files with different points (``--points`` each), then, for one and
then for two workers, on a fresh PostgreSQL database each time (``ownerhub_bench_<random>``,
dropped after): starts that many ``manage.py worker`` processes (each with its own ``var``
folder), waits until they are connected, and times the whole import of both files into two
sources, as the web does it: ``start_preview`` stores each file and enqueues its reading, a
worker reads and measures it, ``start_commit`` enqueues the commit as soon as the preview is
measured, a worker lands it. The clock runs from the first file being stored to the last
being committed. Prints, per run: wall time, records/s over both files, each file's time to
preview and to committed, and the speed-up of two workers over one. Asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import ROOT, Run, arguments, machine, mb

HERE = Path(__file__).resolve()
SLUGS = ("bench", "bench-2")


def generate(path: Path, points: int, day_offset: int) -> None:
    start = datetime(2019, 1, 1, tzinfo=UTC) + timedelta(days=day_offset)
    with path.open("w") as fh:
        fh.write('{"locations": [')
        for i in range(points):
            at = start + timedelta(seconds=47 * i)
            fh.write(f'{"," if i else ""}{{"latitudeE7": {525200000 + (i * 7919) % 90000}, '
                     f'"longitudeE7": {134049000 + (i * 104729) % 70000}, "accuracy": {5 + i % 40}, '
                     f'"timestamp": "{at:%Y-%m-%dT%H:%M:%SZ}"}}')
        fh.write("]}")


# ------------------------------------------------------------------------------- the driver (a Django child)
def drive(workers: int, files: list[str], out: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.db import connection as db

    from connections.models import Connection
    from coverage.models import AcquisitionBatch, Record
    from coverage.pipeline import start_commit
    from coverage.pipeline.background import start_preview

    # A worker reads every file, whatever its size: a small one would be read here, in the "request".
    settings.OWNERHUB_BACKGROUND_PREVIEW_BYTES = 0
    owner = get_user_model().objects.get(username="bench")
    Connection.objects.create(owner=owner, connector="google_timeline", slug=SLUGS[1], name="Bench 2")
    connections = [Connection.objects.get(owner=owner, slug=slug) for slug in SLUGS]
    procs = []
    base = Path(out).parent
    for n in range(workers):
        var = base / f"worker-{n + 1}"
        var.mkdir(exist_ok=True)
        env = {**os.environ, "OWNERHUB_VAR_DIR": str(var)}
        procs.append(subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "worker", "--no-startup-delay", "--interval", "0.05"],
            cwd=var, env=env, stdout=subprocess.DEVNULL, stderr=(var / "log").open("wb")))
    try:
        while _sessions(db) < workers:  # each worker polls the queue once it is up
            assert all(p.poll() is None for p in procs), "a worker exited"
            time.sleep(0.1)
        began = time.perf_counter()
        batches, stored, previewed, committed = [], {}, {}, {}
        for conn, path in zip(connections, files, strict=True):
            with open(path, "rb") as fh:
                batch = start_preview(conn, File(fh, Path(path).name), Path(path).name)
            assert batch.is_reading, batch.status
            stored[batch.pk] = time.perf_counter() - began
            batches.append(batch.pk)
        while len(committed) < len(batches):
            for pk in batches:
                batch = AcquisitionBatch.objects.get(pk=pk)
                if batch.status == "preview" and batch.is_measured and pk not in previewed:
                    previewed[pk] = time.perf_counter() - began
                    start_commit(batch)
                elif batch.status == "committed" and pk not in committed:
                    committed[pk] = time.perf_counter() - began
                elif batch.status not in ("preview", "committing", "committed"):
                    raise SystemExit(f"batch {pk} is {batch.status}")
            assert all(p.poll() is None for p in procs), "a worker exited"
            time.sleep(0.02)
        records = Record.objects.count()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
    Path(out).write_text(json.dumps({
        "wall": max(committed.values()), "records": records,
        "files": [{"stored": stored[pk], "previewed": previewed[pk], "committed": committed[pk]} for pk in batches],
    }))


def _sessions(db) -> int:
    with db.cursor() as c:
        c.execute("select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
        return c.fetchone()[0]


# ------------------------------------------------------------------------------- the bench (no Django here)
def main() -> None:
    p = arguments(__doc__.split("\n\n")[0])
    p.add_argument("--points", type=int, default=300_000, help="points in each of the two files (default 300,000)")
    args = p.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("two workers need a server database: pass --database-url postgres://...")
    args.keep = None
    results = {}
    data = Path(tempfile.mkdtemp(prefix="ownerhub-bench-two-workers-"))
    try:
        files = [data / "a" / "Records.json", data / "b" / "Records.json"]
        t = time.perf_counter()
        for n, path in enumerate(files):
            path.parent.mkdir()
            generate(path, args.points, 400 * n)
        print(f"generated 2 files of {args.points:,} points ({mb(files[0].stat().st_size)} each) "
              f"in {time.perf_counter() - t:.1f} s", flush=True)
        for workers in (1, 2):
            run = Run(args, f"two-workers-{workers}")
            try:
                run.setup("google_timeline")
                if workers == 1:
                    print(machine(run.db_label, run.db_version), flush=True)
                out = run.dir / "drive.json"
                subprocess.run([sys.executable, str(HERE), "drive", str(workers), *map(str, files), str(out)],
                               env=run.env, cwd=run.dir, check=True)
                results[workers] = r = json.loads(out.read_text())
            finally:
                run.cleanup()
            assert r["records"] == 2 * args.points, r
            each = "; ".join(f"file {i + 1}: previewed at {f['previewed']:.1f} s, committed at {f['committed']:.1f} s"
                             for i, f in enumerate(r["files"]))
            print(f"{workers} worker{'s' if workers > 1 else ''}: both files imported in {r['wall']:.1f} s = "
                  f"{r['records'] / r['wall']:,.0f} records/s ({each})", flush=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(f"two workers: {results[1]['wall'] / results[2]['wall']:.2f}x the throughput of one "
          f"({os.cpu_count()} CPUs on this machine; the database server shares them)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["drive"]:
        drive(int(sys.argv[2]), sys.argv[3:5], sys.argv[5])
    else:
        main()
