"""Google location history parser: damaged and rejected files, and large files on the fast path.

Pure tests (no database).
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime, timedelta

import pytest

from connections.connectors.base import (
    ArtifactRejected,
)
from connections.connectors.google_timeline import stream
from tests.connectors.google_timeline.helpers import (
    FIXTURES,
    assert_keys_are_location_keys,
    fixture,
    rejection,
    run,
    utc,
    write,
)

# ------------------------------------------------------------ damage and rejection


def test_truncated_file_keeps_the_points_before_the_cut_and_is_partial():
    records, facts = fixture("truncated.json")

    assert len(records) == 5
    assert facts.partial
    assert [(w.kind, w.detail, w.position) for w in facts.warnings] == [
        ("truncated", "The file ends early; points after element 5 were not read.", "element 5")
    ]


def test_truncated_before_the_first_point_is_rejected_as_malformed(tmp_path):
    path = write(tmp_path, "Records.json", '{"locations": [{"latitudeE7": 525200000, "longi')
    assert rejection(path).reason == "malformed"


def test_trailing_bytes_after_a_complete_file_are_ignored_with_a_warning(tmp_path):
    raw = (FIXTURES / "records.json").read_bytes() + b"\x00\x00garbage"
    records, facts = run(write(tmp_path, "Records.json", raw))

    assert len(records) == 30
    assert not facts.partial
    assert facts.warnings[-1].kind == "trailing_data"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.json", "empty"),
        ("not_json.json", "malformed"),
        ("wrong_source.json", "wrong_source"),
        ("broken.zip", "malformed"),
        ("encrypted.zip", "encrypted"),
        ("no_location.zip", "wrong_source"),
    ],
)
def test_fixture_rejections(name, reason):
    assert rejection(FIXTURES / name).reason == reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"   \n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"[]", "empty"),
        (b'{"foo": 1}', "wrong_source"),
        (b"{}", "wrong_source"),
        (b"42", "wrong_source"),
        (b'[{"name": "a list of something else"}]', "wrong_source"),
        (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">'
            b'<Record type="HKQuantityTypeIdentifierStepCount"/></HealthData>',
            "wrong_source",
        ),
        (
            "\u200e[12.03.23, 14:05:12] Anna: Hallo\n[12.03.23, 14:06:01] Ben: Hi\n".encode(),
            "wrong_source",
        ),
        (b"12/03/2023, 14:05 - Anna: Hello\n", "wrong_source"),
        (b'{"locations": [{"latitudeE7": 1}', "malformed"),
        (b"{'locations': []}", "malformed"),
        (b"PK\x03\x04 not really a zip", "malformed"),
        (gzip.compress(b'{"locations": []}'), "unsupported"),
    ],
)
def test_rejections_by_content(tmp_path, content, reason):
    assert rejection(write(tmp_path, "upload.json", content)).reason == reason


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"locations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"semanticSegments": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"timelineObjects": [' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]}",
        b'{"rawSignals": [{"'
        + b"k" * 5000
        + b'": '
        + b'{"'
        + b"k" * 5000
        + b'": ' * 20
        + b"1"
        + b"}" * 21
        + b"]}",
    ],
    ids=["array", "records", "android", "semantic-objects", "long-keys"],
)
def test_pathological_nesting_is_rejected_not_a_crash(tmp_path, content):
    path = write(tmp_path, "deep.json", content)
    try:
        records, facts = run(path)
    except ArtifactRejected as exc:
        assert exc.reason in ("malformed", "wrong_source")
    else:
        assert records == [] and facts.failed <= 1


def records_head() -> bytes:
    """records.json's 32 elements with the array left open."""
    raw = (FIXTURES / "records.json").read_bytes()
    return raw[: raw.rindex(b"]")].rstrip()


@pytest.mark.parametrize("filler", [0, 3000], ids=["within-first-read", "after-first-read"])
def test_deep_nesting_after_real_points_keeps_the_points_and_marks_the_file_partial(
    tmp_path, filler
):
    timeless = b"".join([b', {"latitudeE7": 525200000, "longitudeE7": 134000000}'] * filler)
    deep = b", " + b"[" * 100_000 + b"]" * 100_000 + b"]}"

    records, facts = run(write(tmp_path, "Records.json", records_head() + timeless + deep))

    assert len(records) == 30
    assert facts.skipped == 1 + filler
    assert facts.partial
    assert facts.warnings[-1].kind == "damaged"


def test_one_enormous_element_does_not_stall_the_reader(tmp_path):
    enormous = b', {"latitudeE7": 525200000, "longitudeE7": 134000000, "timestamp": "2023-06-01T00:00:00Z", '
    enormous += b'"junk": [' + b",".join([b"1"] * 3_000_000) + b"]}"
    raw = records_head() + enormous + b"]}"

    records, facts = run(write(tmp_path, "Records.json", raw))

    assert len(records) == 31
    assert not facts.partial


# ---------------------------------------------------------- large files, fast path


def big_records(n: int, seed: int = 3) -> tuple[bytes, list[tuple[datetime, float, float]]]:
    """A multi-chunk Records.json; some strings hold brackets and commas to mislead a cheap cut."""
    rnd = random.Random(seed)
    start = utc(2023, 1, 1)
    points, expected = [], []
    for i in range(n):
        at = start + timedelta(seconds=37 * i, milliseconds=rnd.randint(0, 999))
        lat, lon = rnd.randint(-899999999, 899999999), rnd.randint(-1799999999, 1799999999)
        point = {"latitudeE7": lat, "longitudeE7": lon, "accuracy": rnd.randint(1, 99)}
        if i % 2:
            point["timestampMs"] = str(int(at.timestamp() * 1000))
        else:
            point["timestamp"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if i % 7 == 0:  # unbalanced brackets in strings defeat the cheap cut: the exact one is used
            point["source"] = '[[{"odd": ' if i % 14 == 0 else "}"
        if i % 5 == 0:
            point["activity"] = [{"activity": [{"type": "STILL", "confidence": 100}]}]
        points.append(point)
        expected.append((at, lat / 1e7, lon / 1e7))
    return json.dumps({"locations": points}, indent=2).encode(), expected


@pytest.fixture(params=["2 MiB chunks", "4 KiB chunks"])
def chunked(request, monkeypatch):
    """Points in the file, read with the real chunk size or tiny chunks (many batches)."""
    if request.param == "4 KiB chunks":
        monkeypatch.setattr(stream, "_CHUNK", 4096)
        return 3_000
    return 30_000


def test_large_records_file_across_batches_matches_every_point(tmp_path, chunked):
    raw, expected = big_records(chunked)
    assert len(raw) > 2 * stream._CHUNK

    records, facts = run(write(tmp_path, "Records.json", raw))

    assert facts.failed == facts.skipped == 0
    assert [(r.event_at, r.payload["lat"], r.payload["lon"]) for r in records] == expected
    assert_keys_are_location_keys(records)
    assert records[14].payload["source"] == '[[{"odd": '


def test_large_records_file_truncated_mid_way_is_partial_at_the_right_element(tmp_path, chunked):
    raw, expected = big_records(chunked)
    cut = raw.index(b'"latitudeE7"', len(raw) * 2 // 3)
    records, facts = run(write(tmp_path, "Records.json", raw[: cut + 20]))

    read = len(records)
    assert chunked // 2 < read < chunked
    assert [(r.event_at, r.payload["lat"], r.payload["lon"]) for r in records] == expected[:read]
    assert facts.partial
    assert (
        facts.warnings[-1].detail
        == f"The file ends early; points after element {read} were not read."
    )


def test_large_records_file_damaged_in_the_middle_keeps_what_comes_before(tmp_path, chunked):
    raw, expected = big_records(chunked)
    at = raw.index(b'"accuracy"', len(raw) // 2)
    damaged = raw[:at] + b"@@" + raw[at + 2 :]

    records, facts = run(write(tmp_path, "Records.json", damaged))

    assert chunked // 3 < len(records) < chunked * 2 // 3
    assert [(r.event_at, r.payload["lat"], r.payload["lon"]) for r in records] == expected[
        : len(records)
    ]
    assert facts.partial
    assert facts.warnings[-1].kind == "damaged"
