"""A watched folder (trigger ``folder``, the issue's ``watched_folder``): files the owner drops are imported.

``OWNERHUB_WATCH_DIR`` holds ``<owner's user name>/<source slug>/``. Each pass (``run_pass``: the
worker's round job ``watch_round`` every ``OWNERHUB_WATCH_INTERVAL_SECONDS``, or
``manage.py watch --once``) lists those folders by polling (so a network share or a folder
Syncthing or Nextcloud fills works the same) and takes a file once it has stopped growing: its
size and modification time unchanged for ``OWNERHUB_WATCH_SETTLE_SECONDS``.

A file taken is stored and hashed like an upload and previewed. When the preview asks nothing
(no date-order question, no blocking gap, not another account) it is committed at once;
otherwise it waits, and the source shows the preview waiting for the owner. The owner's files
are never deleted, moved or written: a file whose hash this source has already seen (imported,
waiting, or refused) does nothing, so a duplicate stays a duplicate and a file that cannot be
read gets one rejected receipt, not one per pass. A file that cannot even be opened is noted
once per size and time (``options["folder_unreadable"]``).

The batch's ``trigger`` is ``folder`` (the column holds ten characters) and its
``options["folder"]`` names the file inside the source's folder.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from connections.models import Connection

from ..models import AcquisitionBatch
from .accounts import needs_confirmation
from .backup import METHOD as BACKUP
from .backup import preview_backup
from .commit import land_batch, start_commit
from .other_phone import needs_choice
from .preview import (
    CommitRefused,
    NotAnArtifactSource,
    _reject,
    artifact_parser,
    parse_and_measure,
    receive_artifact,
)

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
TRIGGER = "watched_folder"
WORDS = "from your folder"
CHUNK = 1024 * 1024


def watch_dir() -> Path | None:
    """The watched folder, or None when the installation has none."""
    value = settings.OWNERHUB_WATCH_DIR
    return Path(value) if value else None


def settle_seconds() -> float:
    return float(settings.OWNERHUB_WATCH_SETTLE_SECONDS)


def interval() -> timedelta:
    return timedelta(seconds=float(settings.OWNERHUB_WATCH_INTERVAL_SECONDS))


def source_folder(connection: Connection) -> Path | None:
    """Where this source's files go, when the installation watches a folder."""
    root = watch_dir()
    return None if root is None else root / connection.owner.get_username() / connection.slug


@dataclass
class Pass:
    """What one pass did, by file name inside the watched folder."""

    committed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # already seen: nothing done
    growing: list[str] = field(default_factory=list)  # still being written: next pass


def _dirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    except OSError:
        return []


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and not p.name.startswith("."))
    except OSError:
        return []


def run_pass(now: datetime | None = None) -> Pass:
    """Look through the watched folder once; see the module doc."""
    done = Pass()
    root = watch_dir()
    if root is None or not root.is_dir():
        return done
    users = get_user_model().objects
    for owner_dir in _dirs(root):
        owner = users.filter(username=owner_dir.name, is_active=True).first()
        if owner is None:
            continue
        for source_dir in _dirs(owner_dir):
            connection = Connection.objects.filter(owner=owner, slug=source_dir.name).first()
            if connection is None:
                continue
            try:
                artifact_parser(connection.manifest)
            except NotAnArtifactSource:
                continue
            for path in _files(source_dir):
                outcome = take(connection, path, now)
                getattr(done, outcome).append(f"{owner_dir.name}/{source_dir.name}/{path.name}")
    return done


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def take(connection: Connection, path: Path, now: datetime | None = None) -> str:
    """One file of a source's folder: ``committed``, ``waiting``, ``rejected``, ``seen`` or ``growing``."""
    try:
        stat = path.stat()
    except OSError:
        return "growing"  # gone meanwhile
    age = (now or timezone.now()).timestamp() - stat.st_mtime
    if age < settle_seconds():
        return "growing"
    batches = AcquisitionBatch.objects.filter(connection=connection)
    try:
        sha = _sha256(path)
    except OSError:
        mark = f"{path.name}|{stat.st_size}|{stat.st_mtime_ns}"
        if batches.filter(trigger=TRIGGER, options__folder_unreadable=mark).exists():
            return "seen"
        batch = AcquisitionBatch.objects.create(
            connection=connection, method="owner_artifact", trigger=TRIGGER, artifact_filename=path.name[:255],
            options={"folder": path.name, "folder_unreadable": mark}, status=Status.PREVIEW,
            created_at=now or timezone.now(), phases={},
        )
        _reject(batch, connection.manifest, "malformed", "The file in your folder could not be opened.")
        return "rejected"
    if batches.filter(artifact_sha256=sha).exists():
        return "seen"
    return _import(connection, path, sha, now)


def _is_backup(connection: Connection, path: Path) -> bool:
    """A phone backup's database (the source takes backups): read as one, not as an export."""
    if connection.manifest.path(BACKUP) is None:
        return False
    if path.name.lower() in ("chatstorage.sqlite", "msgstore.db"):
        return True
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _import(connection: Connection, path: Path, sha: str, now: datetime | None) -> str:
    with path.open("rb") as fh:
        if _is_backup(connection, path):  # the chat remembered from the last backup, else it asks
            batch = preview_backup(connection, fh, path.name, now=now)
        else:
            batch = receive_artifact(connection, fh, path.name, now=now)
    batch.trigger = TRIGGER
    batch.options = {**(batch.options or {}), "folder": path.name}
    batch.artifact_sha256 = batch.artifact_sha256 or sha  # a file refused unread is still seen once
    AcquisitionBatch.objects.filter(pk=batch.pk).update(
        trigger=TRIGGER, options=batch.options, artifact_sha256=batch.artifact_sha256
    )
    if batch.status == Status.PREVIEW and not batch.phases.get("parsed"):
        batch = parse_and_measure(batch, artifact_parser(connection.manifest), None)
    if batch.status == Status.DUPLICATE:
        return "seen"
    if batch.status != Status.PREVIEW:
        log.info("folder file of source %s refused (%s)", connection.pk, batch.reject_reason)
        return "rejected"
    if batch.question or needs_confirmation(batch) or needs_choice(batch) or _blocking(batch):
        return "waiting"
    try:
        batch = start_commit(batch, enqueue=False)
    except CommitRefused:
        return "waiting"
    if batch.status == Status.COMMITTING:
        batch = land_batch(batch.pk)
    return "committed" if batch.status in (Status.COMMITTED, Status.DUPLICATE) else "waiting"


def _blocking(batch: AcquisitionBatch) -> bool:
    kinds = batch.connection.manifest.blocking_gaps
    return bool(batch.partial) or any(w.get("kind") in kinds for w in batch.warnings or ())


class WatchRound:
    """The worker's round job: a pass every ``interval()`` (the first as the worker starts)."""

    def __init__(self) -> None:
        self.last: datetime | None = None

    def __call__(self, now: datetime) -> Pass | None:
        if watch_dir() is None or (self.last is not None and now - self.last < interval()):
            return None
        self.last = now
        return run_pass()
