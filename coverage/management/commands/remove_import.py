"""``manage.py remove_import BATCH [--preview] [--json]``: undo one committed import (``coverage.pipeline.undo``).

Its records go unless another import or a push also delivered them; the receipt of the removal
is printed. ``--preview`` says what would go and stay, as the web's confirmation does, and
changes nothing. Exit code 1 when the batch is not a committed import.
"""

from __future__ import annotations

import json as json_text

from django.core.management.base import BaseCommand, CommandError

from coverage.models import AcquisitionBatch
from coverage.pipeline.undo import RemovalRefused, plan_removal, remove_import
from coverage.words import removal_words

from .receipt import dumps, load_receipt, receipt_text


class Command(BaseCommand):
    help = "Remove one committed import; records another import or a push also delivered stay."

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int, help="the import's batch number (as `receipt` shows it)")
        parser.add_argument("--json", action="store_true", help="print the receipt JSON (as the owner API returns it)")
        parser.add_argument("--preview", action="store_true", help="say what would go and what would stay; remove nothing")

    def handle(self, *args, batch, json=False, preview=False, **options):
        found = AcquisitionBatch.objects.select_related("connection").filter(pk=batch).first()
        if found is None:
            raise CommandError(f"No import {batch}.")
        try:
            if preview:
                return self._preview(found, json)
            removed = remove_import(found)
        except RemovalRefused as exc:
            raise CommandError(str(exc)) from None
        receipt = load_receipt(removed)
        self.stdout.write(dumps(receipt) if json else receipt_text(receipt), ending="\n" if json else "")

    def _preview(self, batch: AcquisitionBatch, json: bool) -> None:
        plan = plan_removal(batch)
        if json:
            self.stdout.write(json_text.dumps({"batch_id": batch.pk, "removed": plan.removed, "kept": plan.kept,
                                               "kept_by": plan.kept_by}, indent=2))
            return
        said = removal_words(batch.connection.manifest.record_noun, plan.removed, plan.kept)
        self.stdout.write(f"Removing import {batch.pk} ({batch.artifact_filename or 'its file'}): {said}\n"
                          "Nothing was removed: run again without --preview to remove it.")
