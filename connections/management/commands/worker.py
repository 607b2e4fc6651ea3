"""manage.py worker: the task queue worker plus the schedule and heartbeat loop.

It is django-tasks-db's ``db_worker`` (same options) with a loop thread that, as it
starts and then every ``--heartbeat-seconds`` (default ``OWNERHUB_WORKER_HEARTBEAT_SECONDS``),
writes the worker heartbeat, marks failed the task rows of workers that were killed, runs
the jobs the apps registered (``connections.runtime.every_round``: the coverage app
re-enqueues commits whose worker is gone and sweeps abandoned previews and uploads) and
pulls the feeds that are due. Its worker id defaults to ``connections.runtime.PROCESS``
(``host:pid:start``), so its task rows name the process that runs them. SIGINT and
SIGTERM stop both: the queue worker finishes its task, the loop its pull.
"""

from __future__ import annotations

from django.conf import settings
from django_tasks_db.management.commands import db_worker

from connections.runtime import PROCESS, WorkerLoop

STOP_WAIT_SECONDS = 30  # a pull in flight is bounded by the feed timeout


class Command(db_worker.Command):
    help = "Run the background worker: queued tasks, scheduled pulls and the heartbeat."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--heartbeat-seconds",
            type=float,
            default=settings.OWNERHUB_WORKER_HEARTBEAT_SECONDS,
            help="seconds between heartbeats and schedule checks (default: %(default)s)",
        )
        parser.set_defaults(worker_id=PROCESS[:64])

    def handle(self, *args, heartbeat_seconds: float, **options):
        # The loop thread lives in this process, so the auto-reloader (which re-runs the
        # command in a child process) is not used.
        options["reload"] = False
        loop = WorkerLoop(heartbeat_seconds)
        loop.start()
        try:
            super().handle(*args, **options)
        finally:
            loop.stop()
            loop.join(STOP_WAIT_SECONDS)
