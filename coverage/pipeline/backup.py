"""A phone backup's preview (method ``device_backup``): stored, asked which chat, read, measured.

``preview_backup`` stores and hashes the file like an upload (``preview.receive_artifact``), marks
the batch ``device_backup`` and reads it with the connector's backup parser. A backup holds many
chats: without a chat named (``chat``, or the one this source's last committed backup used) the
preview asks ``question`` of kind ``chat``, listing each chat with its message count and first
and last message; ``answer_chat`` reads it again with the owner's choice. The chat and the
owner's own name (``me``) are kept in ``options``, so later backups of the source need no answer.
Committing is the same ``start_commit`` as an export's; the records' keys agree with the
export's, so a message from both is one record with two provenance rows (``landing``).
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from typing import IO

from connections.connectors.identity import people
from connections.connectors.manifest import Manifest
from connections.connectors.whatsapp.backup import list_chats
from connections.connectors.whatsapp.backup.opening import IOS_HASHED
from connections.models import Connection
from connections.zones import owner_zone

from ..models import AcquisitionBatch
from ..words import count, day
from .accounts import source_identity
from .background import READERS, read_later, start_preview
from .preview import (
    CommitRefused,
    NotAnArtifactSource,
    parse_and_measure,
    receive_artifact,
)
from .storage import local_path

Status = AcquisitionBatch.Status
METHOD = "device_backup"
MESSAGE = ("message", "messages")


def backup_parser(manifest: Manifest):
    path = manifest.path(METHOD)
    if path is None or path.parser is None:
        raise NotAnArtifactSource(f"{manifest.name} does not take a phone backup.")
    return path.parser


def remembered(connection: Connection) -> dict:
    """The chat and own name of the source's last committed backup (``{}`` when none)."""
    options = (
        AcquisitionBatch.objects.filter(connection=connection, method=METHOD, status=Status.COMMITTED)
        .order_by("-committed_at", "-pk")
        .values_list("options", flat=True)
        .first()
    ) or {}
    return {k: options[k] for k in ("chat", "me") if options.get(k)}


def preview_backup(
    connection: Connection, source: IO[bytes], filename: str, *, chat: str | None = None, me: str | None = None,
    now: datetime | None = None,
) -> AcquisitionBatch:
    """Store and read a backup file into a preview of one chat (or a question: which chat)."""
    parser = backup_parser(connection.manifest)
    options = remembered(connection)
    options.update({k: v for k, v in (("chat", chat), ("me", me)) if v})
    batch = receive_artifact(connection, source, filename, options=options, now=now)
    batch.method = METHOD
    AcquisitionBatch.objects.filter(pk=batch.pk).update(method=METHOD)
    if batch.status != Status.PREVIEW or read_later(batch, source):  # a large backup: the worker reads it
        return batch
    return _read(batch, parser)


def answer_chat(batch: AcquisitionBatch, chat: str) -> AcquisitionBatch:
    """Read a backup's preview again for the chat the owner chose."""
    batch = AcquisitionBatch.objects.select_related("connection").get(pk=batch.pk)
    if batch.status != Status.PREVIEW or batch.method != METHOD or not batch.artifact_name:
        raise CommitRefused("Only a backup's preview that is still waiting can be answered.")
    batch.options = {**(batch.options or {}), "chat": chat}
    batch.question = None
    batch.save(update_fields=["options", "question"])
    return _read(batch, backup_parser(batch.connection.manifest))


def _own_name(batch: AcquisitionBatch) -> None:
    """The owner's own name for a one-to-one chat, when no ``me`` was given: the one person of the
    source's chat (its identity, from an export) who is not the chat partner."""
    options = batch.options or {}
    chat = options.get("chat")
    if options.get("me") or not chat:
        return
    others = [p for p in people(source_identity(batch.connection_id, exclude=batch.pk)) if p.lower() != chat.lower()]
    if len(others) == 1:
        batch.options = {**options, "me": others[0]}
        AcquisitionBatch.objects.filter(pk=batch.pk).update(options=batch.options)


def _read(batch: AcquisitionBatch, parser) -> AcquisitionBatch:
    _own_name(batch)
    batch = parse_and_measure(batch, parser, None)
    if batch.status == Status.PREVIEW and batch.question and batch.question.get("kind") == "chat":
        batch.question = chat_question(batch)
        batch.save(update_fields=["question"])
    return batch


def read_stored(batch: AcquisitionBatch) -> AcquisitionBatch:
    """The worker's reading of a stored backup (``background.READERS``)."""
    return _read(batch, backup_parser(batch.connection.manifest))


READERS[METHOD] = read_stored


def chat_question(batch: AcquisitionBatch) -> dict:
    """Which chat of the backup this source is: each with its count and dates, in owner words."""
    tz = owner_zone(batch.connection.owner_id)
    with local_path(batch.artifact_name) as path:
        chats = list_chats(path)
    labels = {}
    for chat in chats[:50]:
        span = f", {day(chat.first, tz)} to {day(chat.last, tz)}" if chat.first and chat.last else ""
        labels[chat.name] = f"{chat.name}: {count(chat.count, MESSAGE)}{span}"
    asked = (batch.options or {}).get("chat")
    text = "This backup holds {}. Which one is this source?".format(count(len(chats), ("chat", "chats")))
    if asked:
        text = f"This backup holds no chat named {asked}. " + text
    return {"kind": "chat", "text": text, "choices": list(labels), "labels": labels, "example": ""}


BACKUP_NAMES = ("chatstorage.sqlite", "msgstore.db")


def is_backup_upload(connection: Connection, source: IO[bytes], filename: str) -> bool:
    """Whether an uploaded file is a phone backup for a source that takes backups: a SQLite
    database, or a zip holding ChatStorage.sqlite or msgstore.db. ``source`` is rewound."""
    if connection.manifest.path(METHOD) is None:
        return False
    try:
        head = source.read(16)
        if head == b"SQLite format 3\x00":
            return True
        if head[:4] != b"PK\x03\x04":
            return False
        source.seek(0)
        with zipfile.ZipFile(source) as zf:
            return any(n.rsplit("/", 1)[-1].lower() in (*BACKUP_NAMES, IOS_HASHED) for n in zf.namelist()[:100_000])
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, NotImplementedError):
        return False
    finally:
        source.seek(0)


def start_upload(connection: Connection, source: IO[bytes], filename: str) -> AcquisitionBatch:
    """An upload's preview: a phone backup read as one (here), anything else as an export."""
    if is_backup_upload(connection, source, filename):
        return preview_backup(connection, source, filename)
    return start_preview(connection, source, filename)
