"""``manage.py reread BATCH | --connection SLUG | --all-outdated [--zone Z] [--preview]``.

Reads imports again from their stored files with today's reader (or in the zone ``--zone``),
and prints what changed, in owner words (``coverage.reread_words``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from connections.models import Connection
from connections.zones import owner_zone
from coverage.models import AcquisitionBatch
from coverage.pipeline.reread import RereadRefused, reread_imports
from coverage.pipeline.reread_total import combined_difference
from coverage.pipeline.reread_which import imports_to_read_again, outdated_imports, zone_imports_of
from coverage.reread_words import (
    GOING_EITHER,
    difference_lines,
    import_heading,
    previewed,
    why_going,
)


def print_rereads(stdout, batches: list[AcquisitionBatch], olds: list[AcquisitionBatch], *, done: bool) -> None:
    """Each import read again: its name, then the difference (or why it could not be read)."""
    for old, batch in zip(olds, batches, strict=True):
        tz = owner_zone(old.connection.owner)
        stdout.write(import_heading(old, tz))
        if batch.status == AcquisitionBatch.Status.REJECTED:
            stdout.write(f"  Could not be read again: {batch.reject_detail}")
        elif batch.question:
            stdout.write(f"  Waiting for an answer: {batch.question.get('text', '')}")
        else:
            for line in difference_lines(previewed(batch), old.connection.manifest.record_noun, done=done,
                                         why_going=why_going(batch)):
                stdout.write(f"  {line}")
    ready = [b for b in batches if b.status == AcquisitionBatch.Status.PREVIEW and not b.question]
    if not done and len(ready) > 1:  # imports that overlap hold the same records: each counted once
        nouns = {old.connection.manifest.record_noun for old in olds}
        noun = nouns.pop() if len(nouns) == 1 else ("record", "records")
        stdout.write("All of them together:")
        why = {why_going(b) for b in ready}
        for line in difference_lines(combined_difference(ready), noun, done=False,
                                     why_going=why.pop() if len(why) == 1 else GOING_EITHER):
            stdout.write(f"  {line}")
    if not done:
        stdout.write("Nothing was changed yet: run again without --preview to read them again.")


class Command(BaseCommand):
    help = "Read imports again from their stored files, with today's reader or in another time zone."

    def add_arguments(self, parser):
        parser.add_argument("batch", nargs="?", type=int, help="the import (batch number) to read again")
        parser.add_argument("--connection", help="every outdated import of this source (its slug), those read "
                            "in a day/month order a later file proved wrong, and with --zone those read in another zone")
        parser.add_argument("--all-outdated", action="store_true", help="every import read by an older reader")
        parser.add_argument("--zone", help="read times and days that carry no zone (chats, Health day summaries) in this IANA zone")
        parser.add_argument("--preview", action="store_true", help="only say what would change")

    def handle(self, *args, batch=None, connection=None, all_outdated=False, zone=None, preview=False, **options):
        if sum(bool(x) for x in (batch, connection, all_outdated)) != 1:
            raise CommandError("Name one import, or --connection SLUG, or --all-outdated.")
        if batch:
            olds = list(AcquisitionBatch.objects.select_related("connection__owner").filter(pk=batch))
            if not olds:
                raise CommandError(f"No import {batch}.")
        elif connection:
            sources = Connection.objects.filter(slug=connection)
            if not sources.exists():
                raise CommandError(f"No source called {connection!r}.")
            olds = imports_to_read_again(sources)
            if zone:  # and those read in another zone than --zone, when the source writes no zone
                found = {b.pk: b for b in olds}
                found.update((b.pk, b) for b in zone_imports_of(sources, zone))
                olds = sorted(found.values(), key=lambda b: (b.created_at, b.pk))
        else:
            olds = outdated_imports(Connection.objects.all())
        if not olds:
            self.stdout.write(f"Every import was read by today's reader{f' in {zone}' if zone else ''}: "
                              "nothing to read again.")
            return
        try:
            batches = reread_imports(olds, zone=zone, commit=not preview)
        except RereadRefused as exc:
            raise CommandError(str(exc)) from exc
        print_rereads(self.stdout, batches, olds, done=not preview)
