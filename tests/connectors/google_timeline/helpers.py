"""Shared helpers of the Google location history parser tests: run a file, its rejection, its keys."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest

from connections.connectors import google_timeline as gt
from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParseOptions,
    location_key,
)
from connections.connectors.google_timeline import stream

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "google_timeline"


def run(path: Path, options: ParseOptions | None = None, name: str | None = None):
    facts = BatchFacts()
    records = list(gt.parse(Artifact(path, name or path.name), facts, options or ParseOptions()))
    return records, facts


def fixture(name: str):
    return run(FIXTURES / name)


def rejection(path: Path) -> ArtifactRejected:
    """The rejection, raised by the very first step of the iterator (before any record)."""
    iterator = gt.parse(Artifact(path, path.name), BatchFacts(), ParseOptions())
    with pytest.raises(ArtifactRejected) as caught:
        next(iterator)
    return caught.value


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_keys_are_location_keys(records) -> None:
    for record in records:
        assert record.stream == "locations"
        assert record.event_at.tzinfo is UTC
        assert record.key == location_key(
            record.event_at, record.payload["lat"], record.payload["lon"]
        )


def slow_only():
    """Disable both orjson readers, so every document is read by guarded ijson alone."""
    never = re.compile(rb"(?!)")
    docs = {fmt: dataclasses.replace(doc, head=never) for fmt, doc in stream._ARRAY_DOCS.items()}

    def not_fast(*args, **kwargs):
        raise stream._NotFast
        yield  # pragma: no cover

    return contextlib.ExitStack(), [
        mock.patch.object(stream, "_ARRAY_DOCS", docs),
        mock.patch.object(stream, "_document_arrays", not_fast),
    ]


def run_slow_only(path: Path):
    stack, patches = slow_only()
    with stack:
        for patch in patches:
            stack.enter_context(patch)
        return run(path)


def summary(records, facts) -> tuple:
    return (
        [(r.key, r.event_at, r.payload) for r in records],
        facts.source_format,
        facts.skipped,
        facts.failed,
        facts.partial,
        [w.as_dict() for w in facts.warnings],
    )
