"""``manage.py import_backup SLUG PATH [--chat NAME] [--me NAME] [--owner USERNAME] [--preview] [--json]``.

Imports one chat of a WhatsApp phone backup (an iPhone's ChatStorage.sqlite, or the backup
folder zipped; Android's decrypted msgstore.db) into a source, in this process. Without
``--chat`` (and no chat remembered from the source's last backup) it lists the chats and stops.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coverage.models import AcquisitionBatch
from coverage.pipeline import CommitRefused, NotAnArtifactSource, land_batch, start_commit
from coverage.pipeline.accounts import confirm_other_account as confirm_account
from coverage.pipeline.backup import preview_backup

from .import_artifact import Command as ImportArtifact
from .receipt import add_import_arguments, dumps, load_receipt, receipt_text

Status = AcquisitionBatch.Status


class Command(BaseCommand):
    help = "Import one chat of a WhatsApp phone backup (ChatStorage.sqlite, a zipped backup, msgstore.db)."

    def add_arguments(self, parser):
        add_import_arguments(parser, "the source's slug", "the backup file")
        parser.add_argument("--chat", help="which chat of the backup this source is (its name)")
        parser.add_argument("--me", help="your own name as your chat exports write it")
        parser.add_argument("--confirm-other-account", action="store_true",
                            help="import even when the chat looks like another one than earlier imports")

    def handle(self, *args, slug, path, chat=None, me=None, owner=None, preview=False, json=False,
               confirm_other_account=False, **options):
        connection = ImportArtifact._connection(self, slug, owner)
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            with file_path.open("rb") as source:
                batch = preview_backup(connection, source, file_path.name, chat=chat, me=me)
            if batch.status == Status.PREVIEW and batch.question:
                choices = "\n".join(f"  {label}" for label in batch.question["labels"].values())
                raise CommandError(f"{batch.question['text']} Name it with --chat:\n{choices}")
            if batch.status == Status.PREVIEW and not preview:
                if confirm_other_account:
                    confirm_account(batch)
                batch = start_commit(batch, enqueue=False)
                if batch.status == Status.COMMITTING:
                    batch = land_batch(batch.pk)
        except (NotAnArtifactSource, CommitRefused) as exc:
            raise CommandError(str(exc)) from None
        receipt = load_receipt(batch)
        self.stdout.write(dumps(receipt) if json else receipt_text(receipt), ending="\n" if json else "")
        if batch.status == Status.REJECTED:
            raise CommandError(f"Rejected ({batch.reject_reason}): {batch.reject_detail}", returncode=2)
