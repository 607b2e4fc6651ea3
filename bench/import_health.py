"""Benchmark an Apple Health ``export.zip`` import, and healthkit-to-sqlite on the same file.

    uv run bench/import_health.py                            # 2,000,000 records, fresh SQLite
    uv run bench/import_health.py --records 200000           # smaller, to check the script
    uv run bench/import_health.py --database-url postgres://USER:PASS@127.0.0.1:5432/postgres

Generates an export.zip holding ``apple_health_export/export.xml`` with realistic Records
(the generator of ``tests/fixtures/apple_health/make_fixtures.py``: heart rate, energy,
steps, distance, one in ten with a MetadataEntry), creates a fresh database with an owner
and an ``apple_health`` connection, and times the whole import through the real code path
in a child process (``preview_artifact``, ``start_commit(enqueue=False)``, ``land_batch``).
Prints records/s for the import and for our parse alone, and the peak RSS of the import
child. Then it runs ``healthkit-to-sqlite export.zip out.db`` (its own virtual environment;
both sides write SQLite) and prints the time and memory ratios. Its time is the wall time
of its process, start-up included (a fraction of a second). Prints figures; asserts nothing.

Goal (issue 3): at least 2x faster than healthkit-to-sqlite, with no more memory.
"""

from __future__ import annotations

import importlib.util
import time

from _common import ROOT, Run, arguments, machine, mb, report_floor, report_ours


def generator():
    spec = importlib.util.spec_from_file_location(
        "apple_health_fixtures", ROOT / "tests" / "fixtures" / "apple_health" / "make_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    p = arguments(__doc__.split("\n\n")[0])
    p.add_argument(
        "--records", type=int, default=2_000_000, help="Records in export.xml (default 2,000,000)"
    )
    args = p.parse_args()
    run = Run(args, "health")
    try:
        path = run.dir / "export.zip"
        t = time.perf_counter()
        generator().write_large_export(path, args.records, zipped=True)
        print(
            f"generated {path} ({mb(path.stat().st_size)} zip, {args.records:,} records) "
            f"in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        run.setup("apple_health")
        print(machine(run.db_label, run.db_version), flush=True)
        parse = run.parse("apple_health", path)
        floor = run.floor("apple_health", path)
        imp = run.import_("apple_health", path)
        report_ours("records", imp, parse)
        report_floor("records", imp, parse, floor, run.db_label)
        if args.no_compare:
            return
        python = run.tool_python("healthkit-to-sqlite")
        version = run.tool_version(python, "healthkit-to-sqlite")
        out = run.dir / "healthkit.db"
        out.unlink(missing_ok=True)
        theirs = run.tool(python, HEALTHKIT, str(path), str(out))
        ours_s = imp["preview_s"] + imp["commit_s"]
        print(
            f"healthkit-to-sqlite {version}: export.zip -> SQLite in {theirs['wall']:.2f} s "
            f"= {args.records / theirs['wall']:,.0f} records/s ({count_rows(out):,} rows in its r* tables); "
            f"peak RSS {theirs['maxrss_mb']:.0f} MB"
        )
        print(
            f"ratio: our whole import is {theirs['wall'] / ours_s:.2f}x the speed of healthkit-to-sqlite "
            f"({ours_s:.2f} s vs {theirs['wall']:.2f} s); peak RSS {imp['maxrss_mb']:.0f} MB vs "
            f"{theirs['maxrss_mb']:.0f} MB ({imp['maxrss_mb'] / theirs['maxrss_mb']:.2f}x)"
        )
    finally:
        run.cleanup()


# Runs the tool's own command-line entry point, as `healthkit-to-sqlite ZIP DB --silent`.
HEALTHKIT = r"""
import sys
from pathlib import Path
from healthkit_to_sqlite.cli import cli
zip_path, db_path, out = sys.argv[1:4]
cli.main([zip_path, db_path, "--silent"], standalone_mode=False)
Path(out).write_text("{}")
"""


def count_rows(db_path) -> int:
    import sqlite3

    conn = sqlite3.connect(db_path)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
    rows = sum(
        conn.execute(f'select count(*) from "{t}"').fetchone()[0]
        for t in tables
        if t.startswith("r")
    )
    conn.close()
    return rows


if __name__ == "__main__":
    main()
