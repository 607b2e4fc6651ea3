"""Whoever measures Ownerhub runs the ``bench/`` scripts: each must still run to its figures.

The benches assert nothing about speed and the suite does not time them. These tests run each
script as someone measuring would, with a few hundred records instead of a million, on the
suite's own kind of database (a fresh SQLite file, or a fresh database on the suite's PostgreSQL
server), and read what it prints: every child it starts (setup, import, parse, floor, the rows
staging builds, a re-import, a profile) ran, and the figures it prints agree with each other.
A change to what a bench's child calls (``_stage_into``'s signature broke the preview-limit child
once, unseen) fails here. The public comparison parsers are left out (``--no-compare``): they
are installed from the network.
"""

from __future__ import annotations

import os
import pstats
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection as db

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
TIMEOUT = 300


def _server_url() -> list[str]:
    """``--database-url`` for the suite's PostgreSQL server (the bench makes its own database there); none on SQLite."""
    if db.vendor != "postgresql":
        return []
    s = db.settings_dict
    url = (f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST'] or '127.0.0.1'}:"
           f"{s['PORT'] or 5432}/postgres")
    return ["--database-url", url]


def _run(script: str, *args: str, tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the bench picks its own database
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _drop_kept_database(out: str) -> None:
    """Drop the PostgreSQL database a bench kept (``--keep``), with the bench's own ``drop_database``:
    the suite's server must not gather one per run (they did, three each run, until this)."""
    kept = re.search(r"^kept: .* and database (postgres://\S+)$", out, re.MULTILINE)
    if kept is None:
        return
    name = kept.group(1).rsplit("/", 1)[1]
    done = subprocess.run([sys.executable, str(BENCH / "_common.py"), "drop-database", _server_url()[1], name],
                          cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _line(out: str, start: str) -> str:
    found = [line for line in out.splitlines() if line.startswith(start)]
    assert len(found) == 1, f"expected one line starting {start!r} in:\n{out}"
    return found[0]


IMPORTS = {
    # script: (size option, unit its lines count in, re-import option)
    "import_timeline.py": ("--points", "points", True),
    "import_whatsapp.py": ("--messages", "messages", True),
    "import_health.py": ("--records", "records", False),
}


@pytest.mark.parametrize("script", IMPORTS)
def test_an_import_bench_runs_every_child_and_its_figures_agree(script, tmp_path, request):
    option, unit, reimports = IMPORTS[script]
    kept = tmp_path / "kept"
    args = [option, "600", "--no-compare", "--profile", "--keep", str(kept), *_server_url()]
    if reimports:
        args += ["--reimport", "5"]

    out = _run(script, *args, tmp_path=tmp_path)
    request.addfinalizer(lambda: _drop_kept_database(out))

    receipt = re.fullmatch(
        r"receipt: status (\w+); parsed ([\d,]+), accepted ([\d,]+), duplicate ([\d,]+), skipped ([\d,]+), "
        r"failed ([\d,]+); records in the database ([\d,]+)", _line(out, "receipt:"))
    assert receipt, out
    status, parsed, accepted, duplicate, skipped, failed, stored = receipt.groups()
    parsed, accepted, duplicate, stored = map(_number, (parsed, accepted, duplicate, stored))
    assert status == "committed" and failed == "0"
    assert 550 <= parsed <= 600 and _number(skipped) + parsed == 600  # the generator's lines it cannot read are skipped
    assert accepted + duplicate == parsed and stored == accepted > 0

    parse_alone = re.match(rf"ours, parse alone: +([\d,]+) {unit} in ", _line(out, "ours, parse alone:"))
    assert parse_alone and _number(parse_alone.group(1)) == parsed
    whole = re.match(rf"ours, whole import: +([\d,]+) {unit} in .*\(preview: .* commit: .*\); peak RSS \d+ MB",
                     _line(out, "ours, whole import:"))
    assert whole and _number(whole.group(1)) == parsed
    floor = re.search(rf": ([\d,]+) {unit}, ([\d,]+) rows in ", _line(out, "floor ("))
    assert floor and _number(floor.group(1)) == parsed and _number(floor.group(2)) == accepted
    assert re.match(r"ratios \(issue 15 goals\): whole import / floor = [\d.]+x .*time to preview / parser alone = [\d.]+x",
                    _line(out, "ratios"))
    assert re.match(r"preview limit: .* = [\d.]+x the parser alone", _line(out, "preview limit:"))

    if reimports:
        again = re.match(rf"re-import: ([\d,]+) {unit}, ([\d,]+) new, ([\d,]+) duplicate; preview ",
                         _line(out, "re-import:"))
        assert again, out
        total, new, held = map(_number, again.groups())
        assert held == accepted + duplicate  # the same records again, and the file's repeats of them
        assert new == total - held and new > 0

    profile = pstats.Stats(str(kept / "import.prof"))  # the profile of the import loads
    assert any(name == "preview_artifact" for (_, _, name) in profile.stats)
    assert (kept / "import.sql.txt").exists()


@pytest.mark.skipif(db.vendor != "postgresql",
                    reason="two worker processes need a server database; CI runs this file on PostgreSQL")
def test_the_two_worker_bench_imports_both_files_with_one_and_with_two_workers(tmp_path):
    out = _run("two_workers.py", "--points", "300", *_server_url(), tmp_path=tmp_path)

    for workers in ("1 worker", "2 workers"):
        line = _line(out, f"{workers}: ")
        assert re.match(rf"{workers}: both files imported in [\d.]+ s = [\d,]+ records/s \(file 1: previewed at", line)
    assert re.match(r"two workers: [\d.]+x the throughput of one", _line(out, "two workers:"))


def test_the_phone_push_bench_stores_every_point_it_sent(tmp_path):
    out = _run("device_push.py", "--phones", "2", "--seconds", "2", tmp_path=tmp_path)

    assert re.match(r"lost points +0 ", _line(out, "lost points"))
    stored = re.match(r"stored records +(\d+)", _line(out, "stored records"))
    assert stored and int(stored.group(1)) > 0


def test_the_records_api_bench_streams_every_record_it_seeded(tmp_path):
    out = _run("records_api.py", "--records", "300", "--compare", "0", "--pages", "2", *_server_url(), tmp_path=tmp_path)

    streamed = re.match(r"NDJSON large: ([\d,]+) records seeded, ([\d,]+) lines .*HTTP 200", _line(out, "NDJSON large:"))
    assert streamed and streamed.group(1) == streamed.group(2) == "300"


def test_the_search_bench_finds_words_and_pieces_in_what_it_seeded(tmp_path):
    out = _run("search.py", "--messages", "500", "--points", "100", "--calls", "1", *_server_url(), tmp_path=tmp_path)

    rows = {cells[1]: cells for line in out.splitlines() if len(cells := [c.strip() for c in line.split("|")]) == 7}
    # 500 messages: one in 50 is unspaced (10), in turn Japanese with 📚, Chinese, Thai with ❤️; one in 5 of the
    # others says pizza (90).
    assert {label: int(rows[label][5]) for label in ("a word", "Japanese, 2 characters", "Chinese and Japanese",
                                                    "Thai", "an emoji", "a piece held by none")} == {
        "a word": 90, "Japanese, 2 characters": 4, "Chinese and Japanese": 3, "Thai": 3, "an emoji": 4,
        "a piece held by none": 0}
    assert rows["a word"][3] == "words" and rows["an emoji"][3] == "pieces"
    assert rows["a word and an emoji"][3] == "words and pieces"


def test_the_projection_bench_answers_for_every_connection_at_each_stage(tmp_path):
    out = _run("projection.py", "--scale", "0.002", "--calls", "1", "--warmup", "0", *_server_url(), tmp_path=tmp_path)

    stages = [line for line in out.splitlines() if re.match(r"\| (10k|100k|1M) \|", line)]
    assert [line.split("|")[1].strip() for line in stages] == ["10k", "100k", "1M"]
