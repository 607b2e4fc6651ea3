"""The worker's own duties for the coverage app, run by ``connections.runtime.WorkerLoop``.

``register`` (called by ``CoverageConfig.ready``) hands the loop its per-round jobs, so the
``connections`` app never imports ``coverage``:

- ``recover_commits``, every round (the first as the worker starts): commits left
  ``committing`` by a process that is gone are enqueued again (``requeue_stalled``).
"""

from __future__ import annotations

from datetime import datetime

from connections.runtime import every_round

from .acquisition import requeue_stalled


def recover_commits(now: datetime) -> list[int]:
    """Enqueue again the commits whose worker is gone (see ``coverage.claims``)."""
    return requeue_stalled(now)


def register() -> None:
    """Give the worker loop the coverage app's jobs."""
    every_round("coverage.recover_commits", recover_commits)
