"""``manage.py remove_import BATCH [--json]``: undo one committed import (``coverage.pipeline.undo``).

Its records go unless another import or a push also delivered them; the receipt of the removal
is printed. Exit code 1 when the batch is not a committed import.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from coverage.models import AcquisitionBatch
from coverage.pipeline.undo import RemovalRefused, remove_import

from .receipt import dumps, load_receipt, receipt_text


class Command(BaseCommand):
    help = "Remove one committed import; records another import or a push also delivered stay."

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int, help="the import's batch number (as `receipt` shows it)")
        parser.add_argument("--json", action="store_true", help="print the receipt JSON (as the owner API returns it)")

    def handle(self, *args, batch, json=False, **options):
        found = AcquisitionBatch.objects.select_related("connection").filter(pk=batch).first()
        if found is None:
            raise CommandError(f"No import {batch}.")
        try:
            removed = remove_import(found)
        except RemovalRefused as exc:
            raise CommandError(str(exc)) from None
        receipt = load_receipt(removed)
        self.stdout.write(dumps(receipt) if json else receipt_text(receipt), ending="\n" if json else "")
