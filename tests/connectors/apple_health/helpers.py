"""Shared helpers of the Apple Health parser tests: the fixture generator, run a file, count its streams."""

from __future__ import annotations

import importlib.util
import zipfile
from collections import Counter
from pathlib import Path

from connections.connectors.apple_health import parse
from connections.connectors.base import (
    Artifact,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apple_health"

_spec = importlib.util.spec_from_file_location(
    "apple_health_fixtures", FIXTURES / "make_fixtures.py"
)
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)

PHONE = "Ana’s iPhone"
WATCH = "Ana’s Apple Watch"


def run(path: Path, options: ParseOptions | None = None) -> tuple[list[ParsedRecord], BatchFacts]:
    facts = BatchFacts()
    records = list(parse(Artifact(path, path.name), facts, options or ParseOptions()))
    return records, facts


def by_stream(records: list[ParsedRecord]) -> Counter:
    return Counter(r.stream for r in records)


def samples_of(records: list[ParsedRecord], typ: str) -> list[ParsedRecord]:
    return [r for r in records if r.stream == "samples" and r.payload["type"] == typ]


def export_xml_bytes() -> bytes:
    with zipfile.ZipFile(FIXTURES / "export.zip") as zf:
        return zf.read("apple_health_export/export.xml")


def zip_of(tmp: Path, members: dict[str, bytes], name: str = "export.zip") -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path
