"""``manage.py watch --once``: one pass over the watched folder (``OWNERHUB_WATCH_DIR``).

The worker runs the same pass on its own schedule; ``--once`` is for scripts and tests.
Prints one line per file taken, in the words of ``coverage.pipeline.watch``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from coverage.pipeline.watch import run_pass, watch_dir

LINES = (
    ("committed", "imported"),
    ("waiting", "needs an answer on its preview"),
    ("rejected", "could not be imported"),
    ("seen", "already seen: nothing new"),
    ("growing", "still being written: next time"),
)


class Command(BaseCommand):
    help = "Import the files dropped in the watched folder (OWNERHUB_WATCH_DIR): one pass."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one pass and stop (the worker runs it on a schedule)")

    def handle(self, *args, once=False, **options):
        if not once:
            raise CommandError("Run with --once; the worker (manage.py worker) watches the folder on a schedule.")
        root = watch_dir()
        if root is None or not root.is_dir():
            raise CommandError("No watched folder: set OWNERHUB_WATCH_DIR to a folder that exists.")
        done = run_pass()
        for attr, words in LINES:
            for name in getattr(done, attr):
                self.stdout.write(f"{name}: {words}")
