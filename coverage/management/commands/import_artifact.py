"""``manage.py import_artifact SLUG PATH [--owner USERNAME] [--preview] [--json] [--date-order dmy|mdy]``.

Progress goes to stderr: a live line on a terminal, plain lines when it is not one.

Previews the file (or takes the preview of this same file waiting on the source, from an
earlier ``--preview``: its sha256 is read first, streaming), then (unless ``--preview``) commits it in this process: the owner waits for
the receipt anyway, so the command never depends on a background worker being up. The commit
is the same idempotent ``land_batch`` a worker would run.

Running it again after it was killed mid-commit finishes that commit and prints its receipt.

Exit codes: 0 committed, duplicate or preview; 2 rejected (reason on stderr); 1 for anything
else that stops the import (unknown slug, an unanswered date-order question, a commit that
failed for good).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.models import Connection
from coverage import words
from coverage.models import AcquisitionBatch
from coverage.pipeline import (
    DATE_ORDERS,
    CommitRefused,
    NotAnArtifactSource,
    answer_preview,
    land_batch,
    preview_artifact,
    read_as_same_people,
    start_commit,
    waiting_preview,
)
from coverage.pipeline.accounts import confirm_other_account as confirm_account
from coverage.pipeline.other_phone import import_as_it_reads, needs_choice
from ownerhub.terminal import TerminalLine

from .receipt import add_import_arguments, dumps, load_receipt, receipt_text


class Command(BaseCommand):
    help = "Import an export file (WhatsApp chat, Timeline, Apple Health) into a connection."

    def add_arguments(self, parser):
        add_import_arguments(parser, "the connection's slug", "the export file")
        parser.add_argument("--date-order", choices=DATE_ORDERS, help="how dates are written, when the file cannot tell")
        parser.add_argument(
            "--confirm-other-account",
            action="store_true",
            help="import even when the file looks like it is from another account than earlier imports",
        )
        people = parser.add_mutually_exclusive_group()
        people.add_argument("--same-people", action="store_true",
                            help="when the file is the same chat exported from another phone, read its people "
                                 "as this source names them (what it already holds is not added twice)")
        parser.add_argument("--person", action="append", default=[], metavar="NAME=SOURCE_NAME",
                            help="with --same-people: who a person of this file is among this source's people "
                                 "(repeat for each; 'NAME=' for nobody), instead of the pairs the preview found")
        people.add_argument("--as-it-reads", action="store_true",
                            help="when the file is the same chat exported from another phone, import it with "
                                 "its people as it names them")

    def handle(
        self, *args, slug, path, owner=None, preview=False, json=False, date_order=None,
        confirm_other_account=False, same_people=False, as_it_reads=False, person=(), **options,
    ):
        connection = self._connection(slug, owner)
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"No file at {path}.")
        if any("=" not in p for p in person):
            raise CommandError("Write each --person as NAME=SOURCE_NAME (the name in this file, then this source's).")
        chosen = dict(p.split("=", 1) for p in person) or None
        # A live line on a terminal; plain lines (a log, a pipe) otherwise.
        bar = _ProgressBar(self.stderr) if self.stderr.isatty() else _PlainLines(self.stderr)
        try:
            batch = self._preview(connection, file_path, date_order, bar)
            if same_people and needs_choice(batch):
                batch = read_as_same_people(batch, names=chosen, progress=bar)
            elif as_it_reads and needs_choice(batch):
                import_as_it_reads(batch)
            choose = needs_choice(batch)  # the same chat from another phone: the owner says how to read it
            if batch.status == AcquisitionBatch.Status.PREVIEW and not preview and not batch.question and not choose:
                if bar:
                    bar("committing", batch.count_parsed)
                if confirm_other_account:
                    confirm_account(batch)
                # An unfinished import of the same file (a killed run) is finished here, and its
                # receipt printed: ``start_commit`` returns that batch then.
                batch = start_commit(batch, enqueue=False)
                if batch.status == AcquisitionBatch.Status.COMMITTING:
                    batch = land_batch(batch.pk)
        except (NotAnArtifactSource, CommitRefused) as exc:
            raise CommandError(str(exc)) from None
        finally:
            if bar:
                bar.done()

        receipt = load_receipt(batch)
        self.stdout.write(dumps(receipt) if json else receipt_text(receipt), ending="\n" if json else "")
        if batch.status == AcquisitionBatch.Status.PREVIEW and not json:
            kept = words.count(settings.OWNERHUB_PREVIEW_TTL_HOURS, ("hour", "hours"))
            self.stdout.write(
                f"This preview is kept for {kept}: import it from the source's page, "
                "or run this command again without --preview. Nothing was imported."
            )
        if batch.status == AcquisitionBatch.Status.REJECTED:
            raise CommandError(f"Rejected ({batch.reject_reason}): {batch.reject_detail}", returncode=2)
        if batch.status == AcquisitionBatch.Status.FAILED:
            raise CommandError(f"The import did not finish: {batch.failure_reason}")
        if batch.status == AcquisitionBatch.Status.PREVIEW and needs_choice(batch) and not preview:
            raise CommandError("This file looks like the same chat exported from another phone: run again with "
                               "--same-people to read its people as this source names them, or --as-it-reads.")
        if batch.question:
            raise CommandError(
                "This file needs an answer before it can be imported: run again with "
                f"--date-order {' or --date-order '.join(DATE_ORDERS)}."
            )

    def _preview(self, connection: Connection, file_path: Path, date_order: str | None, bar) -> AcquisitionBatch:
        """The waiting preview of this same file on this source (``--preview`` earlier), its question
        answered with ``--date-order``; else a new preview. Running the command again never adds a row."""
        with file_path.open("rb") as source:
            waiting = waiting_preview(connection, hashlib.file_digest(source, "sha256").hexdigest())
            if waiting is None:
                source.seek(0)
                options = {"date_order": date_order} if date_order else None
                return preview_artifact(connection, source, file_path.name, options=options, progress=bar)
        if date_order and (waiting.question or (waiting.options or {}).get("date_order") != date_order):
            return answer_preview(waiting, date_order, progress=bar)
        return waiting

    def _connection(self, slug: str, owner: str | None) -> Connection:
        connections = Connection.objects.filter(slug=slug)
        if owner:
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No owner called {owner!r}.")
            connections = connections.filter(owner=user)
        found = list(connections[:2])
        if not found:
            raise CommandError(f"No connection {slug!r}" + (f" for {owner!r}." if owner else "."))
        if len(found) > 1:
            raise CommandError(f"More than one owner has a connection {slug!r}: name one with --owner.")
        return found[0]


class _ProgressBar(TerminalLine):
    """A one-line progress display on a terminal: phase and items read, redrawn in place."""

    def __call__(self, phase: str, items: int) -> None:
        if self.due(final=phase != "parsing"):
            elapsed = max(time.monotonic() - self.started, 1e-6)
            spinner = "|/-\\"[int(elapsed * 8) % 4]
            self.line(f"{spinner} {phase:<10} {items:>12,} items  {items / elapsed:>10,.0f}/s ")


class _PlainLines:
    """Progress as plain lines, for a log or a pipe: each phase once, then every ``EVERY`` items."""

    EVERY = 100_000
    WORDS = {"parsing": "Reading", "previewed": "Read", "committing": "Saving"}

    def __init__(self, stream):
        self.stream = stream
        self.phase = ""
        self.next_at = 0

    def __call__(self, phase: str, items: int) -> None:
        if phase == self.phase and items < self.next_at:
            return
        self.phase, self.next_at = phase, (items // self.EVERY + 1) * self.EVERY
        self.stream.write(f"{self.WORDS.get(phase, phase)}: {items:,} items")

    def done(self) -> None:
        return None
