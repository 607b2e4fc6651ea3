"""WhatsApp chat exports, the parser alone (no database): rejected files, the fixture generator,
and property tests."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.connectors.base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParseOptions,
)
from connections.connectors.whatsapp import MANIFEST, parse
from tests.connectors.whatsapp.helpers import (
    FIXTURES,
    read,
    rejection,
    zip_file,
)


# --- rejections ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.txt", "empty"),
        ("invalid_utf8.txt", "malformed"),
        ("truncated.zip", "malformed"),
        ("wrong_source.json", "wrong_source"),
        ("encrypted.zip", "encrypted"),
    ],
)
def test_unusable_files_are_rejected_with_a_reason(name, reason):
    rejected = rejection(FIXTURES / name)

    assert rejected.reason == reason
    assert rejected.detail


def test_xml_file_is_the_wrong_source(tmp_path):
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<HealthData>\n' + "<Record/>\n" * 100 + "</HealthData>\n"
    )

    assert rejection(path).reason == "wrong_source"


def test_blank_text_file_is_empty(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("\n\n   \n")

    assert rejection(path).reason == "empty"


def test_zip_without_a_chat_text_is_the_wrong_source(tmp_path):
    path = zip_file(tmp_path, {"IMG-20240102-WA0003.jpg": b"\xff\xd8fake"})

    assert rejection(path).reason == "wrong_source"


def test_zip_whose_text_files_are_not_chats_is_the_wrong_source(tmp_path):
    path = zip_file(tmp_path, {"a.txt": b"hello\n", "b.txt": b"world\n"})

    assert rejection(path).reason == "wrong_source"


def test_manifest_points_at_this_parser():
    assert MANIFEST.path("owner_artifact").parser is parse


# --- fixtures ------------------------------------------------------------------------------------
def test_fixture_generator_is_deterministic(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)

    for made in sorted(tmp_path.iterdir()):
        assert made.read_bytes() == (FIXTURES / made.name).read_bytes(), made.name
        assert made.stat().st_size < 50_000


# --- properties ----------------------------------------------------------------------------------
def _consume(path: Path) -> None:
    facts = BatchFacts()
    try:
        for record in parse(Artifact(path=path, filename=path.name), facts, ParseOptions()):
            assert record.event_at.tzinfo is UTC
    except ArtifactRejected:
        pass


PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Bytes biased towards things that look like chat lines, plus pure noise.
chat_like = st.lists(
    st.one_of(
        st.sampled_from(
            [
                b"14/03/2023, 10:00 - Ana: hi\n",
                b"[3/14/23, 9:40:05\xe2\x80\xafPM] Ana: \xe2\x80\x8eimage omitted\r\n",
                b"31/02/2023, 10:00 - ",
                b"0/0/0000, 99:99 - a: b\n",
                b"1/1/1, 0:00 - :\n",
                b"\xff\xfe",
                b"\n",
                b": ",
            ]
        ),
        st.binary(max_size=64),
    ),
    max_size=30,
).map(b"".join)


@PROPERTY
@given(data=st.one_of(st.binary(max_size=2048), chat_like))
def test_arbitrary_bytes_as_a_text_file_only_ever_reject(tmp_path, data):
    path = tmp_path / "chat.txt"
    path.write_bytes(data)
    _consume(path)


@PROPERTY
@given(
    data=st.one_of(st.binary(max_size=2048), chat_like),
    name=st.sampled_from(["_chat.txt", "x.txt", "a/_chat.txt"]),
)
def test_arbitrary_bytes_inside_a_zip_only_ever_reject(tmp_path, data, name):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
        zf.writestr("IMG-1.jpg", b"x")
    path = tmp_path / "export.zip"
    path.write_bytes(buf.getvalue())
    _consume(path)


@PROPERTY
@given(data=st.binary(max_size=2048), cut=st.integers(min_value=0, max_value=4096))
def test_damaged_zip_bytes_only_ever_reject(tmp_path, data, cut):
    # A real zip, then cut and overwritten at an arbitrary point.
    raw = (FIXTURES / "ios_12h_media.zip").read_bytes()
    cut %= len(raw)
    path = tmp_path / "export.zip"
    path.write_bytes(raw[:cut] + data + raw[cut + len(data) :])
    _consume(path)


words = (
    st.text(alphabet="abcdefghij klmnop?!é👍", min_size=1, max_size=20).map(str.strip).filter(bool)
)


@PROPERTY
@given(
    messages=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=60 * 24 * 30),
            st.sampled_from(["Ana Souza", "Ben", "~ Cara"]),
            st.lists(words, min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_any_well_formed_android_chat_reads_back_message_for_message(tmp_path, messages):
    start = datetime(2023, 3, 13)
    messages = [(0, "Ana Souza", ["13 March settles the day/month order"]), *messages]
    lines = []
    for minutes, author, text_lines in sorted(messages, key=lambda m: m[0]):
        at = start + timedelta(minutes=minutes)
        lines.append(f"{at:%d/%m/%Y, %H:%M} - {author}: " + "\n".join(text_lines))
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    records, facts = read(path)

    expected = sorted(messages, key=lambda m: m[0])
    assert facts.failed == 0
    assert len(records) == len(expected)
    for record, (minutes, author, text_lines) in zip(records, expected, strict=True):
        assert record.event_at == (start + timedelta(minutes=minutes)).replace(tzinfo=UTC)
        assert record.payload["author"] == author
        assert record.payload["text"] == "\n".join(text_lines)
    assert len({r.key for r in records}) == len(records)


def test_a_zip_member_with_no_name_is_passed_over_not_a_crash(tmp_path):
    # Found by the property above: a damaged central directory can name a member "".
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("_chat.txt", "[12/31/23, 9:40:05 PM] Ana: hi\n")
        zf.writestr(zipfile.ZipInfo(""), b"x")

    records = list(parse(Artifact(path=path, filename=path.name), BatchFacts(), ParseOptions()))

    assert [r.payload["text"] for r in records] == ["hi"]
