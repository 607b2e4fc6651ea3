"""export.xml read ahead by a thread: the same chunks in the same order, read errors raised where
the reading loop raised them, a bounded queue, and no thread left once the caller stops."""

from __future__ import annotations

import io
import threading
import time
import zlib

import pytest

from connections.connectors.apple_health import parse, read_ahead, safe_xml
from connections.connectors.base import Artifact, BatchFacts, ParseOptions
from tests.connectors.apple_health.helpers import FIXTURES


class _Source:
    """A file-like object: ``blocks`` chunks of ``size`` bytes (forever when None), then ``error``."""

    def __init__(self, size: int, blocks: int | None, error: Exception | None = None):
        self.size, self.blocks, self.error = size, blocks, error
        self.reads = 0

    def read(self, n: int) -> bytes:
        if self.blocks is not None and self.reads >= self.blocks:
            if self.error is not None:
                raise self.error
            return b""
        self.reads += 1
        return bytes([0x41 + self.reads % 26]) * min(n, self.size) + b"\x0b"


def _alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "health-read-ahead"]


def test_the_chunks_are_the_filtered_chunks_in_order(monkeypatch):
    monkeypatch.setattr(safe_xml, "CHUNK_SIZE", 1000)
    data = bytes(range(256)) * 50  # control bytes included, 12,800 bytes: 13 chunks
    expected = list(safe_xml._filtered_chunks(io.BytesIO(data)))
    assert len(expected) == 13
    assert list(read_ahead.chunks_read_ahead(io.BytesIO(data))) == expected
    assert not _alive()


def test_a_read_error_is_raised_after_the_chunks_read_before_it():
    chunks = read_ahead.chunks_read_ahead(_Source(10, 3, zlib.error("invalid distance too far back")))
    got = []
    with pytest.raises(zlib.error, match="too far back"):
        for chunk in chunks:
            got.append(chunk)
    assert got == [b"B" * 10, b"C" * 10, b"D" * 10]  # the control byte dropped
    assert not _alive()


def test_the_reader_stays_a_few_chunks_ahead_and_stops_with_the_caller():
    source = _Source(100, None)  # endless
    chunks = read_ahead.chunks_read_ahead(source)
    assert next(chunks) == b"B" * 100
    time.sleep(0.3)
    # one given out, READ_AHEAD waiting, one read and waiting for room
    assert source.reads <= read_ahead.READ_AHEAD + 2, source.reads
    chunks.close()
    assert not _alive()
    reads = source.reads
    time.sleep(0.2)
    assert source.reads == reads  # nothing is read once the caller has stopped


def test_a_parse_stopped_after_its_first_record_leaves_no_thread():
    path = FIXTURES / "export.zip"
    records = parse(Artifact(path, path.name), BatchFacts(), ParseOptions())
    assert next(records).stream == "samples"
    records.close()
    assert not _alive()
