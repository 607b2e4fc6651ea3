"""Apple Health exports, the parser alone (no database): rejected files, and exports cut off
or damaged part way (partial, keeping what was read)."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from connections.connectors.apple_health import MANIFEST, parse
from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
)
from tests.connectors.apple_health.helpers import (
    FIXTURES,
    by_stream,
    export_xml_bytes,
    make_fixtures,
    run,
    zip_of,
)

# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.zip", "empty"),
        ("not_health.zip", "wrong_source"),
        ("encrypted.zip", "encrypted"),
        ("entity_bomb.xml", "unsupported"),
        ("external_entity.xml", "unsupported"),
    ],
)
def test_broken_artifacts_are_rejected_before_any_record(name, reason):
    facts = BatchFacts()
    iterator = parse(Artifact(FIXTURES / name, name), facts, ParseOptions())
    with pytest.raises(ArtifactRejected) as caught:
        next(iterator)
    assert caught.value.reason == reason
    if name.endswith(".xml"):
        assert "entities" in caught.value.detail


def test_entity_documents_inside_a_zip_are_rejected(tmp_path):
    for source in ("entity_bomb.xml", "external_entity.xml"):
        path = zip_of(
            tmp_path,
            {"apple_health_export/export.xml": (FIXTURES / source).read_bytes()},
            source + ".zip",
        )
        with pytest.raises(ArtifactRejected) as caught:
            run(path)
        assert caught.value.reason == "unsupported"
        assert "entities" in caught.value.detail


def test_etc_passwd_never_reaches_a_payload(tmp_path):
    passwd = Path("/etc/passwd").read_text(errors="ignore") if Path("/etc/passwd").exists() else ""
    document = (FIXTURES / "external_entity.xml").read_bytes()
    # Also as an external parameter entity, the classic XXE form.
    parameter = document.replace(
        b'<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        b'<!ENTITY % xxe SYSTEM "file:///etc/passwd"> %xxe;',
    )
    assert parameter != document
    for data in (document, parameter):
        path = tmp_path / "x.xml"
        path.write_bytes(data)
        records: list[ParsedRecord] = []
        facts = BatchFacts()
        with pytest.raises(ArtifactRejected):
            for record in parse(Artifact(path, "x.xml"), facts, ParseOptions()):
                records.append(record)
        assert records == []
        text = repr(facts.warnings)
        assert "root:" not in text and (not passwd or passwd[:20] not in text)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"hello, this is a text file\n", "wrong_source"),
        (b'<?xml version="1.0"?><gpx version="1.1"><trk/></gpx>', "wrong_source"),
        (b'<?xml version="1.0"?>\n<!-- nothing else -->\n', "malformed"),
        (b'<HealthData locale="en_US"><ExportDate value="x"/><Reco', "malformed"),
    ],
)
def test_bare_files_that_are_not_exports_are_rejected(tmp_path, content, reason):
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    with pytest.raises(ArtifactRejected) as caught:
        run(path)
    assert caught.value.reason == reason


def test_zip_with_only_the_cda_document_is_the_wrong_source(tmp_path):
    path = zip_of(tmp_path, {"apple_health_export/export_cda.xml": make_fixtures.cda_xml()})
    with pytest.raises(ArtifactRejected) as caught:
        run(path)
    assert caught.value.reason == "wrong_source"


@pytest.mark.parametrize("method", [8, 12, 14, 99])  # deflate, bzip2, lzma garbage; unknown
def test_zip_whose_xml_cannot_be_unpacked_is_malformed(tmp_path, method):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("apple_health_export/export.xml", b"garbage " * 64)
    data = bytearray(buf.getvalue())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        struct.pack_into("<H", data, data.find(signature) + offset, method)
    path = tmp_path / "export.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactRejected) as caught:
        run(path)
    assert caught.value.reason == "malformed"


# --------------------------------------------------------------------------- partial exports


def test_truncated_xml_inside_a_zip_is_cut_off():
    records, facts = run(FIXTURES / "truncated_xml.zip")
    assert facts.partial is True
    assert by_stream(records) == {"samples": 19}
    [warning] = [w for w in facts.warnings if w.kind == "cut_off"]
    assert warning.position == "element 22"
    assert warning.detail.startswith("export.xml ends in the middle; ")


def _cut(xml: bytes, where: str) -> bytes:
    """export.xml cut inside the 25th top-level Record, or just before it."""
    start = 0
    for _ in range(25):
        start = xml.index(b"<Record ", start + 1)
    return xml[: start + 40] if where == "inside_a_record" else xml[:start]


# (where the export.xml stops, as a bare file or in a zip)
CUTS = [
    ("inside_a_record", "xml"),
    ("inside_a_record", "zip"),
    ("between_records", "xml"),
    ("between_records", "zip"),
]


@pytest.mark.parametrize(("where", "container"), CUTS)
def test_cut_off_export_keeps_the_records_read_and_says_it_ends_in_the_middle(tmp_path, where, container):
    xml = _cut(export_xml_bytes(), where)
    if container == "zip":
        path = zip_of(tmp_path, {"apple_health_export/export.xml": xml})
    else:
        path = tmp_path / "export.xml"
        path.write_bytes(xml)

    records, facts = run(path)

    complete, _ = run(FIXTURES / "export.zip")
    kept = [r.key for r in records]
    assert kept and kept == [r.key for r in complete[: len(kept)]]  # what was read, in order
    assert facts.partial is True
    [warning] = [w for w in facts.warnings if w.kind == "cut_off"]
    assert warning.detail.startswith("export.xml ends in the middle; ")
    assert not any(w.kind == "truncated" for w in facts.warnings)


# export.zip itself cut short (no central directory): (fraction kept, records, the cut's words)
CUT_ZIPS = [
    ("inside_export_xml", 0.4, 16, "export.xml ends in the middle; "),
    ("half_way_the_fixture_truncated_zip", 0.5, 34, "export.xml ends in the middle; "),
    ("after_export_xml", 0.7, 44, "export.zip ends in the middle; export.xml was read whole"),
]


@pytest.mark.parametrize(("scenario", "kept", "count", "words"), CUT_ZIPS, ids=[row[0] for row in CUT_ZIPS])
def test_export_zip_cut_short_keeps_what_it_holds(tmp_path, scenario, kept, count, words):
    full = (FIXTURES / "export.zip").read_bytes()
    path = tmp_path / "export.zip"
    path.write_bytes(full[: int(len(full) * kept)])

    records, facts = run(path)

    assert len(records) == count and facts.partial is True
    [warning] = [w for w in facts.warnings if w.kind == "cut_off"]
    assert warning.detail.startswith(words)
    assert facts.source_format == "apple_health_zip"


def test_the_fixture_truncated_zip_is_read_up_to_its_cut():
    records, facts = run(FIXTURES / "truncated.zip")  # export.zip's first half
    assert len(records) == 34 and any(w.kind == "cut_off" for w in facts.warnings)


def test_export_zip_cut_before_its_first_record_is_still_refused(tmp_path):
    full = (FIXTURES / "export.zip").read_bytes()
    path = tmp_path / "export.zip"
    path.write_bytes(full[:300])
    with pytest.raises(ArtifactRejected) as caught:
        next(parse(Artifact(path, path.name), BatchFacts(), ParseOptions()))
    assert caught.value.reason == "malformed"


def test_a_cut_off_export_is_a_blocking_gap_of_the_connector():
    assert "cut_off" in MANIFEST.blocking_gaps


def test_bare_xml_cut_mid_way_is_partial(tmp_path):
    xml = export_xml_bytes()
    path = tmp_path / "export.xml"
    path.write_bytes(xml[: len(xml) * 3 // 4])
    records, facts = run(path)
    assert facts.partial is True
    assert 20 < len(records) < 44
    assert any(w.kind == "cut_off" for w in facts.warnings)


def test_corrupt_zip_member_after_records_is_partial(tmp_path):
    """A CRC error at the end of export.xml: keep what was read, flag it as partial.

    zipfile raises on the read that reaches the end of the member, so the items
    of that last chunk are not read.
    """
    big = b"".join(t.encode() for t in make_fixtures.iter_large_export(3000))
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("apple_health_export/export.xml", big)
    data = bytearray(path.read_bytes())
    pos = data.rfind(b"</HealthData>")
    data[pos + 2] ^= 0x20  # same length, wrong CRC
    path.write_bytes(bytes(data))
    records, facts = run(path)
    assert facts.partial is True
    assert 0 < len(records) <= 3000
    assert any(w.kind == "damaged" for w in facts.warnings)


def test_export_cda_xml_uploaded_alone_says_what_it_is_and_what_to_upload(tmp_path):
    """The Health app's export.zip holds export_cda.xml beside export.xml; an owner who uploads it alone was told
    "This is not an Apple Health export", which it is part of."""
    cda = tmp_path / "export_cda.xml"
    cda.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">'
                   '<component><section><entry><observation classCode="OBS"/></entry></section></component>'
                   "</ClinicalDocument>\n")
    with pytest.raises(ArtifactRejected) as caught:
        list(parse(Artifact(cda, cda.name), BatchFacts(), ParseOptions()))
    assert caught.value.reason == "unsupported"
    assert caught.value.detail == ("This is export_cda.xml, the Health export's copy of your records as a clinical "
                                   "document, which Ownerhub does not read: upload the whole export.zip, or export.xml "
                                   "from the same folder.")
