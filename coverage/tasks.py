"""Background tasks of the coverage app (django-tasks; the database backend by default).

Queued task rows store a task's path: ``coverage.tasks.commit_batch`` stays defined here so
commits enqueued by any earlier version keep landing (``pipeline.commit.COMMIT_TASK``).
"""

from __future__ import annotations

from django_tasks import task

from connections.models import Connection

from .pipeline import background
from .pipeline.claims import landing
from .pipeline.commit import land_batch
from .pipeline.pull import pull


@task()
def commit_batch(batch_id: int) -> str:
    """Land a batch that ``start_commit`` flipped to ``committing``; returns its final status.

    Safe to run twice or concurrently: ``land_batch`` does nothing unless the batch is
    still ``committing``, and its transaction leaves nothing visible if it fails midway.
    The batch is claimed for this process meanwhile (``claims.landing``), so a worker that
    starts after this one died picks the commit up at once.
    """
    with landing(batch_id):
        return land_batch(batch_id).status


@task()
def read_preview(batch_id: int) -> str:
    """Read a stored upload into its preview (``pipeline.background.read_preview``); returns its status."""
    return background.read_preview(batch_id)


@task()
def collect_now(connection_id: int) -> str:
    """One pull the owner asked for ("Collect now") of a source collected only when asked; returns the run's outcome."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or connection.is_paused:  # removed or paused since it was asked for
        return "skipped"
    return pull(connection, trigger="manual").outcome
