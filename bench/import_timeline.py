"""Benchmark a Google Takeout ``Records.json`` import, and google-takeout-parser on the same file.

    uv run bench/import_timeline.py                          # 1,000,000 points, fresh SQLite
    uv run bench/import_timeline.py --points 4000000         # memory must not grow with size
    uv run bench/import_timeline.py --database-url postgres://USER:PASS@127.0.0.1:5432/postgres

Generates a Records.json (about 200 bytes per point, pretty-printed as Takeout writes it;
0.5 % of the elements repeat the element before, as real exports do), creates a fresh
database with an owner and a ``google_timeline`` connection, and times the whole import
through the real code path in a child process: ``preview_artifact`` (store, hash, parse,
stage, measure) then ``start_commit(enqueue=False)`` and ``land_batch`` (dedupe, records,
provenance, summaries). Prints points/s for the import and for our parse alone, and the
peak RSS of the import child. Then it times ``google-takeout-parser``'s parse of the same
file (its location history parser, with orjson installed as it recommends) in its own
virtual environment and prints the ratio. Prints figures; asserts nothing.

Goals (issue 3): >= 50,000 points/s including dedupe and commit, peak RSS < 250 MB at 1M
points, no more memory at 4M, and our whole import faster than their parse alone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from _common import Run, arguments, machine, mb, report_floor, report_ours, report_reimport

TAKEOUT_PARSE = r"""
import json, sys, time
from pathlib import Path
from google_takeout_parser.parse_json import _parse_location_history
began = time.perf_counter()
ok = bad = 0
for item in _parse_location_history(Path(sys.argv[1])):
    if isinstance(item, Exception):
        bad += 1
    else:
        ok += 1
seconds = time.perf_counter() - began
Path(sys.argv[2]).write_text(json.dumps({"count": ok, "errors": bad, "seconds": seconds}))
"""

SOURCES = ("WIFI", "GPS", "CELL", "WIFI", "WIFI")


def generate(path: Path, points: int) -> int:
    """Write Records.json with ``points`` elements; return the bytes written."""
    start = datetime(2019, 1, 1, tzinfo=UTC)
    epoch = int(start.timestamp())
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{\n  "locations": [')
        parts: list[str] = []
        prev = ""
        for i in range(points):
            if i % 200 == 199:  # an exact repeat of the element before
                element = prev
            else:
                seconds = epoch + i * 47 + (i * 7919) % 23
                at = datetime.fromtimestamp(seconds, UTC)
                ms = (i * 37) % 1000
                element = (
                    "{\n"
                    f'    "latitudeE7": {525200066 + (i * 131) % 400000 - 200000},\n'
                    f'    "longitudeE7": {134049540 + (i * 173) % 600000 - 300000},\n'
                    f'    "accuracy": {5 + i % 40},\n'
                    + (
                        f'    "altitude": {30 + i % 60},\n    "verticalAccuracy": {2 + i % 9},\n'
                        if i % 3 == 0
                        else ""
                    )
                    + f'    "source": "{SOURCES[i % 5]}",\n'
                    '    "deviceTag": 1234567890,\n'
                    '    "platformType": "ANDROID",\n'
                    f'    "timestamp": "{at:%Y-%m-%dT%H:%M:%S}.{ms:03d}Z"\n'
                    "  }"
                )
            parts.append(element)
            prev = element
            if len(parts) == 10_000:
                fh.write(("," if i >= 10_000 else "") + ", ".join(parts))
                parts = []
        if parts:
            fh.write(("," if points > len(parts) else "") + ", ".join(parts))
        fh.write("]\n}\n")
    return path.stat().st_size


def main() -> None:
    p = arguments(__doc__.split("\n\n")[0])
    p.add_argument(
        "--points", type=int, default=1_000_000, help="points in Records.json (default 1,000,000)"
    )
    p.add_argument(
        "--reimport",
        type=int,
        default=0,
        metavar="PCT",
        help="then import a longer export (the same points and PCT %% more) into the same source",
    )
    args = p.parse_args()
    run = Run(args, "timeline")
    try:
        path = run.dir / "Records.json"
        t = time.perf_counter()
        size = generate(path, args.points)
        print(
            f"generated {path} ({mb(size)}, {args.points:,} points) in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        run.setup("google_timeline")
        print(machine(run.db_label, run.db_version), flush=True)
        parse = run.parse("google_timeline", path)
        floor = run.floor("google_timeline", path)
        imp = run.import_("google_timeline", path)
        report_ours("points", imp, parse)
        report_floor("points", imp, parse, floor, run.db_label)
        if args.reimport:
            n2 = args.points + args.points * args.reimport // 100
            path2 = run.dir / ("again-" + path.name)
            generate(path2, n2)  # the same first points, then {args.reimport} % more
            again = run.import_("google_timeline", path2)
            report_reimport("points", imp, again)
        if args.no_compare:
            return
        python = run.tool_python("google-takeout-parser", "orjson")
        version = run.tool_version(python, "google-takeout-parser")
        theirs = run.tool(python, TAKEOUT_PARSE, str(path))
        ours_s = imp["preview_s"] + imp["commit_s"]
        print(
            f"google-takeout-parser {version} (+orjson), parse alone: {theirs['count']:,} points "
            f"({theirs['errors']:,} errors) in {theirs['seconds']:.2f} s = {theirs['count'] / theirs['seconds']:,.0f} points/s; "
            f"peak RSS {theirs['maxrss_mb']:.0f} MB"
        )
        print(
            f"ratio: our whole import is {theirs['seconds'] / ours_s:.2f}x the speed of their parse alone "
            f"({ours_s:.2f} s vs {theirs['seconds']:.2f} s); peak RSS {imp['maxrss_mb']:.0f} MB vs {theirs['maxrss_mb']:.0f} MB"
        )
    finally:
        run.cleanup()


if __name__ == "__main__":
    main()
