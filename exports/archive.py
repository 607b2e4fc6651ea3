"""The owner's whole account as one zip: what ``POST /api/owner/exports`` and ``export_data`` write.

Layout (documented in README.md, "Your data, exported")::

    manifest.json                               what is inside, and the format's version
    sources/<slug>/<stream>.ndjson              the records, one JSON object a line (the records API's shape)
    sources/<slug>/receipts.json                every import's and push's receipt (the receipt contract)
    sources/<slug>/files/<n>-<original name>    the files the owner uploaded, as stored

Written member by member into a file object the caller gives (a temporary file, or the
command's output), records read ``STREAM_CHUNK`` at a time and files copied in 1 MiB chunks,
so memory stays flat whatever the account holds.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import IO

import orjson
from django.core.files.storage import default_storage
from django.utils import timezone

from connections.models import Connection
from connections.zones import owner_zone
from coverage.api_records import RecordFilters, _matching, _ndjson
from coverage.models import AcquisitionBatch, Record
from coverage.receipts import build_receipt
from coverage.serializers import receipt_json

FORMAT = "ownerhub-export"
VERSION = 1
COPY_CHUNK = 1 << 20
Progress = Callable[[int, int], None]  # (done, total): records and files written, of all


def _json(value) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_UTC_Z | orjson.OPT_INDENT_2) + b"\n"


def measure(owner) -> int:
    """Records and stored files the owner holds: the progress's total."""
    records = Record.objects.visible().filter(connection__owner=owner).count()
    files = AcquisitionBatch.objects.filter(connection__owner=owner).exclude(artifact_name="").count()
    return records + files


def _batches(connection: Connection):
    """The connection's imports and pushes, oldest first, read a chunk at a time."""
    batches = (
        connection.batches.exclude(status=AcquisitionBatch.Status.PREVIEW)
        .select_related("duplicate_of")
        .order_by("created_at", "pk")
    )
    for batch in batches.iterator(chunk_size=500):
        batch.connection = connection
        yield batch


def _write_receipts(zf: zipfile.ZipFile, name: str, connection: Connection, tz) -> list[AcquisitionBatch]:
    """``receipts.json``, one receipt at a time; returns the batches that kept a stored file."""
    with_files = []
    with zf.open(name, "w", force_zip64=True) as member:
        member.write(b"[")
        for n, batch in enumerate(_batches(connection)):
            member.write((b",\n" if n else b"\n") + orjson.dumps(receipt_json(build_receipt(batch, tz=tz))))
            if batch.artifact_name:
                with_files.append(batch)
        member.write(b"\n]\n")
    return with_files


class _Counter:
    """Records and files written so far, told to ``progress`` as they go."""

    def __init__(self, total: int, progress: Progress | None):
        self.done, self.total, self.progress = 0, total, progress

    def advance(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)


def write(owner, out: IO[bytes], *, progress: Progress | None = None, now: datetime | None = None) -> dict:
    """Write the owner's zip into ``out``; returns the manifest it holds."""
    now = now or timezone.now()
    tz = owner_zone(owner)
    counter = _Counter(measure(owner), progress)
    counter.advance(0)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": now,
        "owner": owner.get_username(),
        "time_zone": str(tz),
        "sources": [],
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for connection in Connection.objects.for_owner(owner).order_by("slug"):
            manifest["sources"].append(_write_source(zf, connection, tz, counter))
        zf.writestr("manifest.json", _json(manifest))
    return orjson.loads(_json(manifest))


def _write_source(zf: zipfile.ZipFile, connection: Connection, tz, counter: _Counter) -> dict:
    """One source's streams, receipts and stored files; its entry of the manifest."""
    folder = f"sources/{connection.slug}"
    entry = {
        "slug": connection.slug,
        "name": connection.name,
        "connector": connection.connector,
        "connector_name": connection.manifest.name,
        "streams": [],
        "receipts": f"{folder}/receipts.json",
        "files": [],
    }
    streams = Record.objects.visible().filter(connection=connection).values_list("stream", flat=True).distinct()
    for stream in sorted(set(streams)):
        name = f"{folder}/{stream}.ndjson"
        count = 0
        with zf.open(name, "w", force_zip64=True) as member:
            for line in _ndjson(_matching(connection, RecordFilters(stream=stream)), None):
                member.write(line)
                count += 1
                if count % 5_000 == 0:
                    counter.advance(5_000)
        counter.advance(count % 5_000)
        entry["streams"].append({"stream": stream, "file": name, "records": count})
    for batch in _write_receipts(zf, entry["receipts"], connection, tz):
        if not default_storage.exists(batch.artifact_name):
            continue
        original = (batch.artifact_filename or "upload").replace("/", "_").replace("\\", "_")
        name = f"{folder}/files/{len(entry['files']) + 1}-{original}"
        with default_storage.open(batch.artifact_name, "rb") as source, zf.open(name, "w", force_zip64=True) as member:
            shutil.copyfileobj(source, member, COPY_CHUNK)
        entry["files"].append(
            {
                "file": name,
                "batch_id": batch.pk,
                "filename": batch.artifact_filename,
                "sha256": batch.artifact_sha256,
                "bytes": batch.artifact_bytes,
            }
        )
        counter.advance(1)
    return entry
