"""Hostile files: each is rejected with a clear reason, nothing is written, the server keeps serving.

One row per hostile case. Each row builds the file, hands it to the real
preview (the same code path as an upload), and checks the receipt, the records,
the staging table and the artifact storage afterwards.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from django.db import connection as db

from connections.models import Connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline import preview_artifact
from coverage.services import issue_access_token
from tests.conftest import stored_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
pytestmark = pytest.mark.django_db


def _zip(members: dict[str, bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def zip_bomb(tmp: Path) -> Path:
    path = tmp / "WhatsApp Chat.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("_chat.txt", "w", force_zip64=True) as fh:
        block = b"\0" * (1 << 20)
        for _ in range(64):  # 64 MB of zeros squeezed into ~64 KB
            fh.write(block)
    return path


def traversal_zip(tmp: Path) -> Path:
    path = tmp / "chat.zip"
    chat = b"12/03/2023, 09:15 - Ana: hello\n13/03/2023, 09:16 - Ben: hi\n"
    path.write_bytes(_zip({"../../_chat.txt": chat, "/etc/_chat.txt": chat}))
    return path


def symlink_zip(tmp: Path) -> Path:
    path = tmp / "chat.zip"
    path.write_bytes(_zip({}, symlinks={"_chat.txt": "/etc/passwd"}))
    return path


def nested_zip(tmp: Path) -> Path:
    inner = (FIXTURES / "whatsapp" / "ios_12h_media.zip").read_bytes()
    path = tmp / "chat.zip"
    path.write_bytes(_zip({"inner.zip": inner}))
    return path


def deep_json(tmp: Path) -> Path:
    path = tmp / "Records.json"
    path.write_bytes(b'{"locations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    return path


def long_line(tmp: Path) -> Path:
    """A chat whose second message runs 2 GB without a newline (a sparse file: no 2 GB of disk)."""
    path = tmp / "chat.txt"
    with path.open("wb") as fh:
        fh.write(b"12/03/2023, 09:15 - Ana: hello\n13/03/2023, 09:16 - Ben: ")
        fh.truncate(2 * 1024**3)
        fh.seek(0, os.SEEK_END)
        fh.write(b"x\n14/03/2023, 09:17 - Ana: bye\n")
    return path


def copy_fixture(connector: str, name: str, as_name: str | None = None):
    def build(tmp: Path) -> Path:
        path = tmp / (as_name or name)
        path.write_bytes((FIXTURES / connector / name).read_bytes())
        return path

    return build


# case -> (connector, build, expected reject reason)
CASES = {
    "zip_bomb": ("whatsapp", zip_bomb, "too_large"),
    "zip_paths_outside_the_archive": ("whatsapp", traversal_zip, "wrong_source"),
    "zip_symlink": ("whatsapp", symlink_zip, "wrong_source"),
    "nested_zip": ("whatsapp", nested_zip, "wrong_source"),
    "xml_entity_expansion": ("apple_health", copy_fixture("apple_health", "entity_bomb.xml"), "unsupported"),
    "xml_external_entity": ("apple_health", copy_fixture("apple_health", "external_entity.xml"), "unsupported"),
    "json_nested_100000_deep": ("google_timeline", deep_json, "malformed"),
    "invalid_utf8": ("whatsapp", copy_fixture("whatsapp", "invalid_utf8.txt"), "malformed"),
    "wrong_extension_health_zip_as_chat": (
        "whatsapp", copy_fixture("apple_health", "export.zip", "WhatsApp Chat.txt"), "wrong_source"),
    "encrypted_zip": ("whatsapp", copy_fixture("whatsapp", "encrypted.zip"), "encrypted"),
    "truncated_zip": ("google_timeline", copy_fixture("google_timeline", "broken.zip"), "malformed"),
}


def _staged() -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM coverage_stagedrecord")
        return cursor.fetchone()[0]


@pytest.fixture
def storage_root(artifact_root):
    return artifact_root


@pytest.mark.parametrize(("connector", "build", "reason"), [pytest.param(*v, id=k) for k, v in CASES.items()])
def test_hostile_file_is_refused_and_nothing_is_written(connector, build, reason, owner, tmp_path, storage_root):
    conn = Connection.objects.create(owner=owner, connector=connector, slug="target", name="Target")
    path = build(tmp_path)
    with path.open("rb") as fh:
        batch = preview_artifact(conn, fh, path.name)
    assert Record.objects.count() == 0
    assert batch.status == "rejected", (batch.status, batch.reject_detail)
    assert batch.reject_reason == reason
    assert batch.reject_detail  # says what happened and what to do
    assert _staged() == 0
    assert stored_files(storage_root) == []  # the stored copy is gone too


def test_two_gigabyte_line_is_counted_not_loaded(owner, tmp_path, storage_root):
    conn = Connection.objects.create(owner=owner, connector="whatsapp", slug="chat", name="Chat")
    path = long_line(tmp_path)
    with path.open("rb") as fh:
        batch = preview_artifact(conn, fh, path.name, options={"date_order": "dmy"})
    assert batch.status == "preview"
    assert batch.count_parsed == 2  # the two ordinary messages around it
    assert batch.count_failed == 1
    assert any(w["position"] for w in batch.warnings)
    assert Record.objects.count() == 0


def test_upload_over_the_cap_is_refused_while_streaming(owner, settings, storage_root):
    settings.OWNERHUB_MAX_UPLOAD_BYTES = 5 * 1024**2
    conn = Connection.objects.create(owner=owner, connector="whatsapp", slug="chat", name="Chat")

    class Endless(io.RawIOBase):
        """Never ends: only a streaming reader with a cap can refuse it."""

        read_so_far = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.read_so_far += len(buffer)
            buffer[:] = b"a" * len(buffer)
            return len(buffer)

    source = Endless()
    batch = preview_artifact(conn, io.BufferedReader(source), "huge.txt")
    assert batch.status == "rejected" and batch.reject_reason == "too_large"
    assert "limit" in batch.reject_detail
    assert source.read_so_far < 8 * 1024**2
    assert stored_files(storage_root) == []


def test_server_keeps_serving_after_hostile_uploads(owner, client, tmp_path, storage_root):
    Connection.objects.create(owner=owner, connector="google_timeline", slug="timeline", name="Timeline")
    _, secret = issue_access_token(owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    for build in (deep_json, zip_bomb, nested_zip):
        path = build(tmp_path)
        with path.open("rb") as fh:
            response = client.post("/api/owner/connections/timeline/previews", {"file": fh}, **auth)
        assert response.status_code == 422, response.content
        assert response.json()["status"] == "rejected"
    assert client.get("/api/owner/connections/timeline", **auth).status_code == 200
    assert AcquisitionBatch.objects.filter(status="rejected").count() == 3
    assert Record.objects.count() == 0
