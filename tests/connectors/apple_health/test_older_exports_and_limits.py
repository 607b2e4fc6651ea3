"""Apple Health exports, the parser alone (no database): older exports with inline routes,
mangled input that only ever raises ArtifactRejected, and memory that stays flat."""

from __future__ import annotations

import importlib.util
import io
import struct
import tempfile
import tracemalloc
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors import safe_zip
from connections.connectors.apple_health import MANIFEST, parse, safe_xml
from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    location_key,
)
from tests.connectors.apple_health.helpers import (
    FIXTURES,
    by_stream,
    export_xml_bytes,
    make_fixtures,
    run,
)

# --------------------------------------------------------------------------- older exports: inline routes

_old_spec = importlib.util.spec_from_file_location("apple_health_old", FIXTURES / "make_old_exports.py")
make_old = importlib.util.module_from_spec(_old_spec)
_old_spec.loader.exec_module(make_old)


def test_old_export_fixtures_are_reproducible():
    for name, data in make_old.fixtures().items():
        assert (FIXTURES / name).read_bytes() == data, f"{name} is stale: run make_old_exports.py"


@pytest.fixture(scope="module")
def old() -> tuple[list[ParsedRecord], BatchFacts]:
    return run(FIXTURES / "old_inline_routes.zip")


def _route(records):
    return [r for r in records if r.stream == "workout_routes"]


# (scenario, check)
INLINE_ROUTES = [
    ("every_stream_is_read", lambda rs, f: by_stream(rs) == {"samples": 2, "workouts": 2, "workout_routes": 6}),
    ("the_garbled_point_is_failed_with_its_position",
     lambda rs, f: f.failed == 1 and any(w.position == "element 4" for w in f.warnings)),  # the workout
    ("a_route_point_is_a_place_in_utc",
     lambda rs, f: _route(rs)[0].event_at == datetime(2017, 5, 2, 5, 30, tzinfo=UTC)),
    ("a_route_point_keeps_its_position_and_measures",
     lambda rs, f: _route(rs)[0].payload == {
         "lat": 52.52, "lon": 13.405, "kind": "route", "workout": "HKWorkoutActivityTypeRunning",
         "workout_key": next(r.key for r in rs if r.stream == "workouts"),
         "altitude": 38.5, "accuracy": 4.2, "speed_ms": 2.7, "course": 90.5}),
    ("a_route_point_is_keyed_like_every_location",
     lambda rs, f: all(r.key == location_key(r.event_at, r.payload["lat"], r.payload["lon"]) for r in _route(rs))),
    ("the_workout_counts_its_inline_route_points",
     lambda rs, f: [r.payload["route_points"] for r in rs if r.stream == "workouts"] == [4, 2]),
    ("an_inline_route_is_no_missing_media", lambda rs, f: f.media_declared == 0 and f.media_missing == 0),
    ("the_route_stream_is_declared", lambda rs, f: "workout_routes" in MANIFEST.streams),
]


@pytest.mark.parametrize(("scenario", "check"), INLINE_ROUTES, ids=[row[0] for row in INLINE_ROUTES])
def test_older_export_inline_route_points_are_route_records(old, scenario, check):
    records, facts = old
    assert check(records, facts), scenario


def test_inline_route_reader_memory_stays_flat_for_ten_times_the_points(tmp_path, monkeypatch):
    """tracemalloc peak, 3k vs 30k inline route points in 64 KB chunks: 10x the file, not 10x the memory."""
    monkeypatch.setattr(safe_xml, "CHUNK_SIZE", 1 << 16)
    small = _traced_peak(make_old.write_inline_route_export(tmp_path / "small.xml", 3_000))
    large = _traced_peak(make_old.write_inline_route_export(tmp_path / "large.xml", 30_000))
    assert (small[0], large[0]) == (3_000 + 1, 30_000 + 1)  # the points and their workout
    assert large[1] - small[1] < 512 * 1024, (small, large)


# --------------------------------------------------------------------------- only ArtifactRejected


def _consume(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            for record in parse(Artifact(path, name), BatchFacts(), ParseOptions()):
                assert isinstance(record, ParsedRecord)
                assert record.event_at.utcoffset().total_seconds() == 0
        except ArtifactRejected:
            pass


def _zipped(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", data)
    return buf.getvalue()


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPORT_XML = export_xml_bytes()


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_only_ever_raise_artifact_rejected(data):
    _consume(data, "export.xml")
    _consume(_zipped(data), "export.zip")


@FUZZ
@given(
    cut=st.integers(min_value=0, max_value=len(EXPORT_XML)),
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(EXPORT_XML) - 1), st.integers(0, 255)),
        max_size=8,
    ),
)
def test_mangled_exports_only_ever_raise_artifact_rejected(cut, flips):
    data = bytearray(EXPORT_XML[:cut])
    for pos, byte in flips:
        if pos < len(data):
            data[pos] = byte
    _consume(bytes(data), "export.xml")
    _consume(_zipped(bytes(data)), "export.zip")


@FUZZ
@given(st.binary(min_size=1, max_size=2048), st.integers(min_value=0, max_value=4096))
def test_mangled_zip_containers_only_ever_raise_artifact_rejected(noise, at):
    data = bytearray((FIXTURES / "export.zip").read_bytes())
    at = min(at, len(data))
    data[at : at + len(noise)] = noise
    _consume(bytes(data), "export.zip")


# --------------------------------------------------------------------------- flat memory


def _write_compact_export(path: Path, n_records: int) -> Path:
    """A bare export.xml of ``n_records`` short heart-rate Records (fast to write and read)."""
    with open(path, "wb") as out:
        out.write(make_fixtures.HEADER.encode() + make_fixtures.HEAD_ELEMENTS.encode())
        lines = []
        for i in range(n_records):
            minute, second = divmod(i % 3600, 60)
            hour, day = (i // 3600) % 24, 1 + (i // 86400) % 28
            at = b"2024-05-%02d %02d:%02d:%02d +0200" % (day, hour, minute, second)
            lines.append(
                b'<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" '
                b'startDate="%s" endDate="%s" value="%d"/>\n' % (at, at, 60 + i % 50)
            )
            if len(lines) == 5000:
                out.write(b"".join(lines))
                lines.clear()
        out.write(b"".join(lines) + b"</HealthData>\n")
    return path


def _traced_peak(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _ in parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return count, peak


def _max_live_blocks(path: Path) -> tuple[int, int]:
    """Records read, and the most small-object blocks alive at once beyond the start."""
    import gc
    import sys

    gc.collect()  # garbage left by earlier tests would otherwise be freed mid-count
    base = sys.getallocatedblocks()
    most = count = 0
    for _ in parse(Artifact(path, path.name), BatchFacts(), ParseOptions()):
        count += 1
        if count % 500 == 0:
            most = max(most, sys.getallocatedblocks() - base)
    return count, most


def test_memory_peak_does_not_grow_with_the_number_of_records(tmp_path, monkeypatch):
    """tracemalloc peak, 2k vs 20k records in 64 KB chunks (tracemalloc is too slow for 200k here;
    the 20k vs 200k tracemalloc measurement is in the connector report)."""
    monkeypatch.setattr(safe_xml, "CHUNK_SIZE", 1 << 16)
    small = _traced_peak(_write_compact_export(tmp_path / "small.xml", 2_000))
    large = _traced_peak(_write_compact_export(tmp_path / "large.xml", 20_000))
    assert (small[0], large[0]) == (2_000, 20_000)
    assert large[1] - small[1] < 512 * 1024, (small, large)


def test_live_objects_stay_flat_from_20k_to_200k_records(tmp_path):
    small = _max_live_blocks(_write_compact_export(tmp_path / "small.xml", 20_000))
    large = _max_live_blocks(_write_compact_export(tmp_path / "large.xml", 200_000))
    assert (small[0], large[0]) == (20_000, 200_000)
    # One 1 MB chunk holds ~7,500 of these records (~10 blocks each). Accumulating the
    # 180,000 extra records would add ~1.8M blocks; the margin only absorbs GC timing.
    assert large[1] - small[1] < 100_000, (small, large)
    assert large[1] < 250_000, large


def test_a_cut_zip_bomb_stops_instead_of_expanding(tmp_path):
    """No central directory vouches for the sizes: the guard runs as the bytes inflate."""
    body = b"<HealthData>" + b" " * (300 * 1024**2)  # 300 MB of blank space after the root
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(body) + packer.flush()
    name = b"apple_health_export/export.xml"
    header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(data), len(body), len(name), 0)
    path = tmp_path / "export.zip"
    path.write_bytes(header + name + data[: len(data) // 2])  # cut: no central directory

    member = safe_zip.open_cut_member(path, lambda n: n.endswith("export.xml"))
    given = 0
    with member, pytest.raises(zipfile.BadZipFile):
        while chunk := member.read(1 << 20):
            given += len(chunk)
    assert given < 50 * 1024**2  # stopped at 200 times what was read, not at 150 MB
    with pytest.raises(ArtifactRejected) as caught:
        next(parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
    assert caught.value.reason == "malformed"
