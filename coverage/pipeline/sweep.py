"""The worker's own duties for the coverage app, run by ``connections.runtime.WorkerLoop``.

``register`` (called by ``CoverageConfig.ready``) hands the loop its per-round jobs, so the
``connections`` app never imports ``coverage``:

- ``recover_commits``, every round (the first as the worker starts): commits left
  ``committing`` by a process that is gone are enqueued again (``requeue_stalled``).
- ``Sweeper``, as the worker starts and then every ``SWEEP_EVERY``: removes what abandoned
  work leaves behind.

  - Previews nobody committed within ``OWNERHUB_PREVIEW_TTL_HOURS`` (default 24): their
    staged records, stored file and row (``discard_preview``).
  - Staged records whose batch is gone or is no longer a preview or being committed
    (a preview cut off by a crash, a batch removed meanwhile).
  - Temporary files of uploads whose process crashed (``uploads.remove_crashed_uploads``).
  - Previews left "Reading…" by a worker that is gone: read again, a bounded number of times
    (``background.requeue_stalled_reading``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db
from django.db import transaction

from connections.collect import claim_due
from connections.runtime import every_round, pull_with

from ..models import AcquisitionBatch, GonePreview
from .background import requeue_stalled_reading
from .commit import requeue_stalled
from .pull import pull
from .removal import discard_preview, discard_staging
from .staging import STAGING_TABLE
from .uploads import remove_crashed_uploads
from .watch import WatchRound

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
SWEEP_EVERY = timedelta(minutes=15)
KEEP_STAGED = (Status.PREVIEW, Status.COMMITTING)


def recover_commits(now: datetime) -> list[int]:
    """Enqueue again the commits whose worker is gone (see ``claims``)."""
    return requeue_stalled(now)


# How long a gone preview's address still says what became of it (``GonePreview``); after that it is not found.
GONE_PREVIEW_KEPT = timedelta(days=30)


def preview_ttl() -> timedelta:
    return timedelta(hours=settings.OWNERHUB_PREVIEW_TTL_HOURS)


def remove_expired_previews(now: datetime) -> list[int]:
    """Discard the previews created more than the preview TTL ago; returns their ids."""
    removed = []
    expired = AcquisitionBatch.objects.filter(status=Status.PREVIEW, created_at__lt=now - preview_ttl())
    for batch_id in expired.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # Locked while it goes, so a commit asked for at this moment cannot flip it.
            batch = AcquisitionBatch.objects.select_for_update().filter(pk=batch_id, status=Status.PREVIEW).first()
            if batch is not None and discard_preview(batch, GonePreview.Reason.EXPIRED):
                removed.append(batch_id)
    if removed:
        log.info("removed %d preview(s) nobody committed within %s", len(removed), preview_ttl())
    GonePreview.objects.filter(gone_at__lt=now - GONE_PREVIEW_KEPT).delete()
    return removed


def _staged_batch_ids() -> list[int]:
    """The distinct batch ids in staging, by skipping along its primary key (no full scan)."""
    table = db.ops.quote_name(STAGING_TABLE)
    with db.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE ids(b) AS (SELECT MIN(batch_id) FROM {table} "
            f"UNION ALL SELECT (SELECT MIN(batch_id) FROM {table} WHERE batch_id > ids.b) FROM ids "
            f"WHERE ids.b IS NOT NULL) SELECT b FROM ids WHERE b IS NOT NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def remove_stray_staging() -> list[int]:
    """Drop staged records whose batch is gone or is neither a preview nor being committed."""
    staged = _staged_batch_ids()
    kept = set(AcquisitionBatch.objects.filter(pk__in=staged, status__in=KEEP_STAGED).values_list("pk", flat=True))
    stray = [batch_id for batch_id in staged if batch_id not in kept]
    for batch_id in stray:
        discard_staging(AcquisitionBatch(pk=batch_id))
    if stray:
        log.info("removed the staged records of %d finished or vanished batch(es)", len(stray))
    return stray


@dataclass
class Sweeper:
    """Removes abandoned work's leftovers when the worker starts, then every ``every``."""

    every: timedelta = SWEEP_EVERY
    last: datetime | None = field(default=None)

    def __call__(self, now: datetime) -> dict | None:
        if self.last is not None and now - self.last < self.every:
            return None
        self.last = now
        return {
            "previews": remove_expired_previews(now),
            "staging": remove_stray_staging(),
            "uploads": remove_crashed_uploads(older_than=preview_ttl()),
            "reading": requeue_stalled_reading(now),
        }


def register() -> None:
    """Give the worker loop the coverage app's jobs."""
    every_round("coverage.recover_commits", recover_commits)
    every_round("coverage.sweep", Sweeper())
    every_round("coverage.watch", WatchRound())  # the watched folder (``watch``)
    pull_with(claim_due, pull)
