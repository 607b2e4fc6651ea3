"""Live records: device pushes and provider pulls, staged and committed in one go (no artifact, no preview).

``acquire_records`` runs through the same staging and landing code as an export's commit, in
one transaction under the connection lock. Pushes with a ``window_key`` grow one committed
batch per device per window instead of a batch each.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connections.connectors.base import BatchFacts, ParsedRecord
from connections.models import CollectionRun, Connection

from ..models import AcquisitionBatch
from .landing import Landed, Round, land, merge_counts, merge_sources
from .preview import add_facts, stamp
from .staging import Staged, stage
from .summaries import holes

Status = AcquisitionBatch.Status


def acquire_records(
    connection: Connection,
    *,
    method: str,
    trigger: str,
    records: Iterable[ParsedRecord],
    facts: BatchFacts,
    window_key: str = "",
    run: CollectionRun | None = None,
    now: datetime | None = None,
) -> AcquisitionBatch:
    """Stage and commit records from a live source in one go (no artifact, no preview).

    For device pushes and provider pulls. ``records`` is consumed once; ``facts`` is read after
    it is exhausted, so a parser may fill it while streaming. With a ``window_key`` (e.g.
    ``"device:7:2024-05-01T10"``) records are appended to the committed batch of this connection
    and method with that key, if any, so pushes group into one batch per device per window;
    its counts, range and the summaries grow accordingly. Records already held (through any
    method) are not copied: they gain a provenance row for ``method`` if they had none.
    Returns the committed batch.
    """
    now = now or timezone.now()
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        batch = _open_window(connection, method, window_key)
        new_batch = batch is None
        if new_batch:
            batch = AcquisitionBatch.objects.create(
                connection=connection,
                method=method,
                trigger=trigger,
                run=run,
                window_key=window_key,
                status=Status.COMMITTING,
                created_at=now,
                phases={},
            )
            stamp(batch, "received")
        batch.connection = connection
        staged = stage(batch.pk, records, None, None)
        stamp(batch, "parsed")
        add_facts(batch, facts, staged, replace=new_batch)
        stamp(batch, "deduplicated")
        landed = land(batch, _round(staged, facts), now, new_batch=new_batch)
        _add_landed(batch, staged, landed, new_batch=new_batch)
        batch.status = Status.COMMITTED
        batch.committed_at = batch.committed_at or now
        if run is not None and batch.run_id is None:
            batch.run = run
        for phase in ("committed", "indexed", "health_projected"):
            stamp(batch, phase)
        batch.save()
    return batch


def _open_window(connection: Connection, method: str, window_key: str) -> AcquisitionBatch | None:
    """The committed batch this window's records join (locked), or None for a new batch."""
    if not window_key:
        return None
    return (
        AcquisitionBatch.objects.select_for_update()
        .filter(connection=connection, method=method, window_key=window_key, status=Status.COMMITTED)
        .order_by("-pk")
        .first()
    )


def _round(staged: Staged, facts: BatchFacts) -> Round:
    return Round(
        parsed=staged.parsed,
        earliest=staged.earliest,
        latest=staged.latest,
        partial=facts.partial,
        media_not_attached=facts.media_missing + facts.media_omitted,
    )


def _add_landed(batch: AcquisitionBatch, staged: Staged, landed: Landed, *, new_batch: bool) -> None:
    """The batch's counts, days, sources and gaps grow by what this landing brought."""
    batch.count_accepted += landed.accepted
    batch.count_duplicate += staged.parsed - landed.accepted
    batch.day_counts = merge_counts(batch.day_counts if not new_batch else {}, landed.measure.day_counts)
    batch.duplicate_sources = merge_sources(
        batch.duplicate_sources if not new_batch else [], landed.measure.duplicate_sources
    )
    # The batch keeps its earlier landings by UTC day (read conservatively), this one's by slot.
    earlier_days = [] if new_batch else list(batch.day_counts)
    keys = [*earlier_days, *landed.measure.slots]
    batch.gaps = holes(keys, batch.connection.manifest, landed.measure.zone)  # the one rule (summaries.holes)
    batch.media_days = sorted(set([] if new_batch else batch.media_days) | set(landed.measure.media_days))
