"""Undo an import: one committed upload taken back, and only what nothing else delivered goes.

``remove_import`` takes a committed ``owner_artifact`` batch back, under the connection lock,
in one transaction:

- A record the batch delivered first (``Record.first_batch``) that another import or a push
  also delivered stays; only this batch's delivery goes. Another method's delivery is a
  provenance row (the record's first delivery becomes that batch). Another *export* of the
  same source left no row (a repeat through the same method never does): the imports whose
  ``duplicate_sources`` name this batch held some of its records, so their stored files are
  read again into staging to learn exactly which, and those records become theirs.
- This batch's later deliveries (provenance rows) go; one a later export of the same method
  also delivered moves to that export.
- Every other record goes. The batch becomes ``removed`` with ``removal`` (what went, what
  stayed and which imports kept it) and its stored file is deleted once the transaction
  commits. The lane and coverage summaries are counted again from what is held
  (``recount.recount_summaries``, as a re-read does).

An import read again (``reread``) is, from that commit on, the import of its file: removing the
re-read removes the import of that file, its earlier readings included (they become ``removed``
too, named in ``removal["earlier"]``); they cannot be brought back on their own, as the reading
they hold was replaced. Removing an earlier reading alone is refused in owner words that point at
the newer one. A record handed over to a later import takes that import's reading of it (time,
payload, media), as a fresh import of that file would give.

Nothing outside the batch changes: other records, batches and their receipts stay as they were.
``plan_removal`` runs the same steps and rolls them back: the counts the confirmation states.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from connections.connectors.base import BatchFacts
from connections.models import Connection

from ..models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from ..words import day
from .preview import artifact_parser, stage_artifact
from .recount import recount_summaries
from .set_aside import note_rewrite
from .staging import STAGING_TABLE, drop_staging, quote
from .storage import delete_stored

Status = AcquisitionBatch.Status


class RemovalRefused(Exception):
    """The batch cannot be removed (not a committed import); the message is in owner words."""


@dataclass
class Removal:
    """What removing an import did (or would do): stored on the batch as ``removal``."""

    removed: int = 0  # records that went
    kept: int = 0  # records it delivered that stay, because something else delivered them too
    kept_by: list[dict] = field(default_factory=list)  # [{"batch_id", "count"}]: who else delivered them
    unread: list[int] = field(default_factory=list)  # later imports whose stored file could not be read again
    earlier: list[int] = field(default_factory=list)  # earlier readings of the same file (re-read), removed with it


class _DryRun(Exception):
    def __init__(self, removal: Removal):
        self.removal = removal


def plan_removal(batch: AcquisitionBatch) -> Removal:
    """What ``remove_import`` would remove and keep, without changing anything."""
    try:
        with transaction.atomic():
            _, _, removal = _remove(batch, now=timezone.now())
            raise _DryRun(removal)  # rolls the transaction back
    except _DryRun as done:
        return done.removal


def remove_import(batch: AcquisitionBatch, *, now: datetime | None = None) -> AcquisitionBatch:
    """Remove a committed import (see the module text); returns the batch, now ``removed``."""
    with transaction.atomic():
        removed, name, _ = _remove(batch, now=now or timezone.now())
        if name:
            transaction.on_commit(lambda: delete_stored([name]))
    return removed


def _remove(batch: AcquisitionBatch, *, now: datetime) -> tuple[AcquisitionBatch, str, Removal]:
    connection = Connection.objects.select_for_update().get(pk=batch.connection_id)
    batch = AcquisitionBatch.objects.select_for_update().get(pk=batch.pk)
    batch.connection = connection
    if batch.status != Status.COMMITTED or batch.method != "owner_artifact":
        raise RemovalRefused("Only an import that was saved can be removed.")
    _refuse_earlier_reading(batch)
    note_rewrite(connection)  # previews that set aside rows this import holds read their file again
    removal = Removal(earlier=_take_earlier_readings(batch))
    this = {batch.pk, *removal.earlier}
    kept_by: dict[int, int] = {}
    delivered = Record.objects.filter(connection=connection, first_batch_id=batch.pk).count()
    for later in _later_imports(batch, this):
        moved = _hand_over_to(batch, later, removal)
        if moved:
            kept_by[later.pk] = kept_by.get(later.pk, 0) + moved
    for batch_id, moved in _hand_over_to_provenance(batch).items():
        kept_by[batch_id] = kept_by.get(batch_id, 0) + moved
    RecordProvenance.objects.filter(batch_id=batch.pk).delete()
    removal.removed = Record.objects.filter(connection=connection, first_batch_id=batch.pk).delete()[0]
    removal.kept = delivered - removal.removed
    removal.kept_by = [{"batch_id": k, "count": v} for k, v in sorted(kept_by.items())]
    name = batch.artifact_name
    batch.status = Status.REMOVED
    batch.removed_at = now
    batch.removal = {k: v for k, v in asdict(removal).items() if k != "earlier" or v}  # "earlier": re-reads only
    batch.artifact_name = ""
    batch.save(update_fields=["status", "removed_at", "removal", "artifact_name"])
    AcquisitionBatch.objects.filter(pk__in=removal.earlier).update(
        status=Status.REMOVED, removed_at=now, removal={"removed": 0, "kept": 0, "with": batch.pk}
    )
    recount_after_removal(connection, now)
    return batch, name, removal


def _refuse_earlier_reading(batch: AcquisitionBatch) -> None:
    newer_id = (batch.options or {}).get("superseded_by")
    if not newer_id:
        return
    newer = AcquisitionBatch.objects.filter(pk=newer_id).first()
    when = day(newer.committed_at) if newer is not None and newer.committed_at else "a later day"
    raise RemovalRefused(
        f"This import was read again on {when}: remove that newer reading to take the import of this file "
        "back. Its earlier reading cannot be brought back on its own, because the newer reading replaced it."
    )


def _take_earlier_readings(batch: AcquisitionBatch) -> list[int]:
    """The readings ``batch`` replaced (a re-read of a re-read...); what they still deliver becomes ``batch``'s."""
    earlier, current = [], batch
    while (old_id := (current.options or {}).get("reread_of")) and current.trigger == "reread":
        old = AcquisitionBatch.objects.select_for_update().filter(pk=old_id, status=Status.COMMITTED).first()
        if old is None or (old.options or {}).get("superseded_by") != current.pk:
            break
        earlier.append(old.pk)
        current = old
    if earlier:
        Record.objects.filter(connection_id=batch.connection_id, first_batch_id__in=earlier).update(
            first_batch_id=batch.pk
        )
        again = RecordProvenance.objects.filter(batch_id=batch.pk).values("record_id")
        RecordProvenance.objects.filter(batch_id__in=earlier, record_id__in=again).delete()
        RecordProvenance.objects.filter(batch_id__in=earlier).update(batch_id=batch.pk)
    return earlier


def _later_imports(batch: AcquisitionBatch, this: set[int]) -> list[AcquisitionBatch]:
    """Committed imports of the same method whose duplicates this import held (their receipts say so)."""
    candidates = AcquisitionBatch.objects.filter(
        connection_id=batch.connection_id, method=batch.method, status=Status.COMMITTED
    ).exclude(pk__in=this)
    return [
        b
        for b in candidates.order_by("committed_at", "pk")
        if any(s.get("batch_id") in this for s in b.duplicate_sources or ())
    ]


def _hand_over_to(batch: AcquisitionBatch, later: AcquisitionBatch, removal: Removal) -> int:
    """Records (and deliveries) of ``batch`` that ``later``'s file also holds become ``later``'s."""
    if not later.artifact_name:
        removal.unread.append(later.pk)
        return 0
    later.connection = batch.connection
    progress = later.progress
    drop_staging(later.pk)
    try:
        stage_artifact(later, artifact_parser(batch.connection.manifest), BatchFacts())
    except Exception:  # a file that cannot be read again keeps nothing; the removal says so
        drop_staging(later.pk)
        removal.unread.append(later.pk)
        return 0
    records, provenance, staging = (
        quote(Record._meta.db_table),
        quote(RecordProvenance._meta.db_table),
        quote(STAGING_TABLE),
    )
    same = f"s.batch_id = %s AND s.stream = {records}.stream AND s.{quote('key')} = {records}.{quote('key')}"
    held = f"EXISTS (SELECT 1 FROM {staging} s WHERE {same})"
    # The later file's reading of each record (time, payload, media), as a fresh import of it gives.
    reading = ", ".join(f"{col} = (SELECT s.{col} FROM {staging} s WHERE {same})" for col in ("event_at", "payload", "media"))
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {records} SET first_batch_id = %s, {reading} WHERE connection_id = %s AND first_batch_id = %s "
            f"AND {held}",
            [later.pk, later.pk, later.pk, later.pk, batch.connection_id, batch.pk, later.pk],
        )
        moved = max(cursor.rowcount, 0)
        cursor.execute(
            f"UPDATE {provenance} SET batch_id = %s WHERE batch_id = %s AND record_id IN "
            f"(SELECT id FROM {records} WHERE connection_id = %s AND {held})",
            [later.pk, batch.pk, batch.connection_id, later.pk],
        )
    drop_staging(later.pk)
    AcquisitionBatch.objects.filter(pk=later.pk).update(progress=progress)
    return moved


def _hand_over_to_provenance(batch: AcquisitionBatch) -> dict[int, int]:
    """Records of ``batch`` that another method also delivered: that delivery becomes the record."""
    moved: dict[int, int] = {}
    rows = (
        RecordProvenance.objects.filter(record__connection_id=batch.connection_id, record__first_batch_id=batch.pk)
        .exclude(batch_id=batch.pk)
        .order_by("record_id", "batch_id")
        .values_list("pk", "record_id", "batch_id")
    )
    first: dict[int, tuple[int, int]] = {}
    for pk, record_id, batch_id in rows.iterator():
        first.setdefault(record_id, (pk, batch_id))
    for record_id, (pk, batch_id) in first.items():
        Record.objects.filter(pk=record_id).update(first_batch_id=batch_id)
        RecordProvenance.objects.filter(pk=pk).delete()
        moved[batch_id] = moved.get(batch_id, 0) + 1
    return moved


# --- the summaries, counted again from what the connection holds -----------------------------------
def recount_after_removal(connection: Connection, now: datetime) -> None:
    """The lane and coverage rows counted again (``recount``) from what the connection still holds.

    A lane whose last import went is gone; each lane's last import is its newest committed one.
    With no committed import left the connection holds no evidence, and has no summaries.
    The caller holds the connection lock.
    """
    committed = AcquisitionBatch.objects.filter(connection=connection, status=Status.COMMITTED)
    newest = committed.order_by("-committed_at", "-pk").first()
    if newest is None:
        LaneSummary.objects.filter(connection=connection).delete()
        CoverageSummary.objects.filter(connection=connection).delete()
        return
    LaneSummary.objects.filter(connection=connection).exclude(method__in=committed.values("method")).delete()
    recount_summaries(connection, newest, now)
    for lane in LaneSummary.objects.select_for_update().filter(connection=connection):
        last = committed.filter(method=lane.method).order_by("-committed_at", "-pk").first()
        lane.last_batch, lane.last_batch_at = last, last.committed_at if last else None
        lane.partial_batch = last if last is not None and last.partial else None
        lane.save(update_fields=["last_batch", "last_batch_at", "partial_batch"])
