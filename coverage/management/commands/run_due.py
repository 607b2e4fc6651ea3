"""manage.py run_due: pull every feed that is due, once, and print what happened."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from coverage.pipeline.pull import run_due


class Command(BaseCommand):
    help = "Pull every scheduled source that is due now (once), then exit."

    def handle(self, *args, **options):
        runs = run_due()
        for run in runs:
            detail = run.message or run.error_class
            self.stdout.write(f"{run.connection.slug}: {run.outcome} · {detail}")
        self.stdout.write(f"{len(runs)} source{'s' if len(runs) != 1 else ''} pulled.")
