"""An export's owner is looked up once the parser has read the file; a damaged file never breaks the import."""

from __future__ import annotations

import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connections.connectors.base import Artifact, BatchFacts, ParsedRecord, ParseOptions
from connections.connectors.identity import with_file_identity


def two_records(source, facts, options):
    for i in range(2):
        yield ParsedRecord(stream="samples", key=f"k{i}", event_at=datetime(2024, 1, 1, i, tzinfo=UTC), payload={"i": i})
    facts.partial = True  # the parser read what it could of a damaged zip and said so


def read(extract) -> tuple[list[ParsedRecord], BatchFacts]:
    facts = BatchFacts()
    parse = with_file_identity(two_records, extract)
    records = list(parse(Artifact(path=Path("export.zip"), filename="export.zip"), facts, ParseOptions()))
    return records, facts


@pytest.mark.parametrize(
    "damage",
    [
        zipfile.BadZipFile("Bad CRC-32 for file 'apple_health_export/export.xml'"),
        zlib.error("Error -3 while decompressing data: invalid distance too far back"),
        EOFError("Compressed file ended before the end-of-stream marker was reached"),
        OSError("No such file or directory"),
    ],
)
def test_a_zip_damaged_where_the_owner_is_named_keeps_its_records_without_an_owner(damage):
    def extract(path):
        raise damage

    records, facts = read(extract)
    assert [r.key for r in records] == ["k0", "k1"] and facts.partial
    assert facts.identity is None


def test_the_owner_a_readable_file_names_becomes_the_identity():
    records, facts = read(lambda path: "born 1990-03-14, female")
    assert len(records) == 2 and facts.identity == "born 1990-03-14, female"
