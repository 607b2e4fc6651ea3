"""Shared helpers of the WhatsApp parser tests: read a fixture or a small file, its rejection."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
)
from connections.connectors.whatsapp import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "whatsapp"
LRM = "\u200e"
NNBSP = "\u202f"


def read(
    path: Path, filename: str | None = None, **options
) -> tuple[list[ParsedRecord], BatchFacts]:
    facts = BatchFacts()
    artifact = Artifact(path=Path(path), filename=filename or Path(path).name)
    return list(parse(artifact, facts, ParseOptions(**options))), facts


def fixture(name: str, **options) -> tuple[list[ParsedRecord], BatchFacts]:
    return read(FIXTURES / name, **options)


def rejection(path: Path) -> ArtifactRejected:
    facts = BatchFacts()
    records = parse(Artifact(path=path, filename=path.name), facts, ParseOptions())
    with pytest.raises(ArtifactRejected) as caught:
        next(records)  # rejected before the first record
    return caught.value


def chat_file(tmp_path: Path, lines: list[str], name: str = "chat.txt", newline="\n") -> Path:
    path = tmp_path / name
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


def zip_file(tmp_path: Path, members: dict[str, bytes], name: str = "export.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
