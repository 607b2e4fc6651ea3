"""manage.py run_due: pull every feed that is due, once, and print what happened.

A source whose access was refused is not asked (``connections.collect.skip_refused``): it is
named with its projection's words, the same the card and the runs page say, so the operator
sees why nothing was collected and that the owner must reconnect.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from connections.collect import skip_refused
from coverage.evidence import load_one
from coverage.pipeline.pull import run_due
from coverage.projection.collect_now import collect_held


class Command(BaseCommand):
    help = "Pull every scheduled source that is due now (once), then exit."

    def handle(self, *args, **options):
        now = timezone.now()
        held = skip_refused(now)  # what run_due would skip first; passed over, counted, said below
        runs = run_due(now)
        for run in runs:
            detail = run.message or run.error_class
            self.stdout.write(f"{run.connection.slug}: {run.outcome} · {detail}")
        for run in held:
            said = collect_held(load_one(run.connection, now))
            self.stdout.write(f"{run.connection.slug}: not collected · {said.text if said else run.message}")
        self.stdout.write(f"{len(runs)} source{'s' if len(runs) != 1 else ''} pulled.")
