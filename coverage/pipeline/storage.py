"""Artifact storage: an owner's upload streamed into default storage, hashed and capped on the way.

``store`` writes the file as ``artifacts/<owner>/<uuid>-<safe filename>`` and returns its
sha256 and size, read once; ``TooLarge`` stops it at the upload limit (nothing is kept).
``local_path`` gives the parsers a path on local disk for a stored artifact, ``delete_artifact``
removes one.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename

from ..models import AcquisitionBatch

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20  # storage and hashing read the upload this much at a time


class TooLarge(Exception):
    """The upload passed the limit; ``read`` is the bytes counted when it stopped."""

    def __init__(self, read: int):
        super().__init__(read)
        self.read = read


class _HashingFile(File):
    """The owner's upload as storage sees it: every byte read passes through sha256 and the cap."""

    def __init__(self, source: IO[bytes], name: str, limit: int):
        super().__init__(source, name)
        self.limit = limit
        self._restart()

    def _restart(self) -> None:
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def _take(self, data: bytes) -> bytes:
        self.bytes += len(data)
        if self.bytes > self.limit:
            raise TooLarge(self.bytes)
        self.sha256.update(data)
        return data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK_BYTES), b""))
        return self._take(self.file.read(size))

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        while data := self.read(chunk_size or CHUNK_BYTES):
            yield data

    def seek(self, offset: int, whence: int = 0) -> int:
        # A storage backend that rewinds to retry must not hash the bytes twice.
        if (offset, whence) == (0, 0):
            self._restart()
            return self.file.seek(0)
        raise OSError("an upload being stored can only be rewound to its start")

    def seekable(self) -> bool:
        return False

    @property
    def size(self):  # unknown until read: the cap is enforced while reading
        return getattr(self.file, "size", None)


def store(source: IO[bytes], owner_id: int, filename: str, limit: int) -> tuple[str, str, int]:
    """Stream ``source`` into default storage; return (storage name, sha256, bytes).

    The name is ``artifacts/<owner>/<uuid>-<safe filename>``: the sha256 is only known once
    the stream ends and storage has no rename, so it is not part of the name.
    """
    declared = getattr(source, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise TooLarge(declared)  # known before reading (``uploads.UploadCapHandler`` stopped at the cap)
    if getattr(source, "seekable", lambda: False)():
        source.seek(0)
    wanted = f"artifacts/{owner_id}/{uuid.uuid4().hex}-{_safe_name(filename)}"
    content = _HashingFile(source, wanted, limit)
    try:
        name = default_storage.save(wanted, content)
    except TooLarge:
        # Stop reading; the partial copy goes (the uuid makes the wanted name ours).
        if default_storage.exists(wanted):
            default_storage.delete(wanted)
        raise
    return name, content.sha256.hexdigest(), content.bytes


def _safe_name(filename: str) -> str:
    base = get_valid_filename(Path(filename).name) if filename else ""
    base = base or "artifact"
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:80]}.{ext}"
    return base[:80]


def display_name(filename: str) -> str:
    """The file's own name as the owner gave it (no folders), for the receipt."""
    return (Path(filename or "").name or "upload")[:255]


@contextmanager
def local_path(name: str) -> Iterator[Path]:
    """A path on local disk for a stored artifact (a temporary copy for remote storage)."""
    try:
        local = default_storage.path(name)
    except NotImplementedError:
        local = None
    if local is not None:
        yield Path(local)
        return
    suffix = Path(name).suffix
    with default_storage.open(name, "rb") as remote, tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        shutil.copyfileobj(remote, tmp, CHUNK_BYTES)
        tmp.flush()
        yield Path(tmp.name)


def delete_artifact(batch: AcquisitionBatch) -> None:
    """Delete the batch's stored file, if any (the caller saves the batch)."""
    if batch.artifact_name:
        try:
            default_storage.delete(batch.artifact_name)
        except OSError:  # a file already gone is not worth failing the owner's request
            log.warning("could not delete stored artifact %s", batch.artifact_name, exc_info=True)
        batch.artifact_name = ""


def delete_stored(names: list[str]) -> None:
    """Delete stored artifacts by name (a removed source's files), skipping those already gone."""
    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)
