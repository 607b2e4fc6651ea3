"""manage.py export_data --owner USERNAME OUT.zip: everything the owner holds, as one zip.

The same zip as ``POST /api/owner/exports`` (``exports.archive``), written straight to OUT.zip
(through a temporary file beside it, renamed when complete). On a terminal a progress bar shows
the records and files written; otherwise only the summary line is printed.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from coverage import words
from exports import archive
from ownerhub.terminal import TerminalLine


class Command(BaseCommand):
    help = "Write everything an owner holds (records, receipts, uploaded files) into one zip file."

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="username")
        parser.add_argument("out", help="the zip file to write")

    def handle(self, *args, owner, out, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No owner called {owner!r}.")
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"No folder {target.parent} to write {target.name} into.")
        partial = target.with_name(f".{target.name}.partial")
        bar = _ProgressBar(self.stderr) if self.stderr.isatty() else None
        try:
            with partial.open("wb") as fh:
                manifest = archive.write(user, fh, progress=bar)
            os.replace(partial, target)
        finally:
            if bar:
                bar.done()
            partial.unlink(missing_ok=True)
        records = sum(s["records"] for source in manifest["sources"] for s in source["streams"])
        files = sum(len(source["files"]) for source in manifest["sources"])
        sources = len(manifest["sources"])
        self.stdout.write(
            f"Wrote {target} ({words.file_size(target.stat().st_size)}): "
            f"{words.count(records, ('record', 'records'))} from {words.count(sources, ('source', 'sources'))}, "
            f"{words.count(files, ('uploaded file', 'uploaded files'))}."
        )


class _ProgressBar(TerminalLine):
    """A one-line bar on a terminal: records and files written of all, redrawn in place."""

    WIDTH = 30

    def __call__(self, done: int, total: int) -> None:
        if self.due(final=done >= total):
            share = done / total if total else 1.0
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.line(f"[{bar}] {share:>4.0%}  {done:,} of {total:,} items ")
