"""Removal: what the owner abandons or takes away goes, with everything derived from it.

- ``discard_preview``: a preview nobody will commit (its staged rows, stored file and row; a
  ``GonePreview`` keeps its id and why it went).
- ``discard_staging``: staged rows nothing will land (the worker's sweep).
- ``remove_connection``: a source with all its evidence: records, provenance, staged rows,
  batches, summaries, runs and conditions, then the connection itself; its stored files go
  once the transaction has committed. Only this module deletes a source's coverage rows.
"""

from __future__ import annotations

from django.db import connection as db
from django.db import transaction

from connections.models import Connection

from ..models import AcquisitionBatch, GonePreview, Record, RecordProvenance
from .staging import STAGING_TABLE, drop_staging, quote
from .storage import delete_artifact, delete_stored

Status = AcquisitionBatch.Status


def discard_staging(batch: AcquisitionBatch) -> None:
    """Drop a batch's staged records (an abandoned preview, a batch nothing will land)."""
    drop_staging(batch.pk)


def discard_preview(batch: AcquisitionBatch, reason: str, newer: AcquisitionBatch | None = None) -> bool:
    """Abandon a preview: its staged records, stored file and row go. Anything else is kept, and a
    ``GonePreview`` says by its old id why it went (``reason``, one of ``GonePreview.Reason``) and
    which batch took its place (``newer``), so its address still leads the owner somewhere.

    Returns whether the batch was a preview (and so was discarded).
    """
    with transaction.atomic():
        if not AcquisitionBatch.objects.filter(pk=batch.pk, status=Status.PREVIEW).exists():
            return False
        drop_staging(batch.pk)
        delete_artifact(batch)
        GonePreview.objects.update_or_create(batch_id=batch.pk, defaults={
            "connection_id": batch.connection_id, "reason": reason, "newer": newer,
            "filename": batch.artifact_filename or "", "uploaded_at": batch.created_at})
        if newer is not None:  # the previews this one had replaced lead on to the newer one too
            GonePreview.objects.filter(newer_id=batch.pk).update(newer=newer)
        batch.delete()
    return True


@transaction.atomic
def remove_connection(connection: Connection) -> None:
    """Remove a connection with its records, batches and evidence (stored artifact files too)."""
    names = list(
        AcquisitionBatch.objects.filter(connection=connection)
        .exclude(artifact_name="")
        .values_list("artifact_name", flat=True)
    )
    _delete_bulk_evidence(connection)
    connection.delete()
    transaction.on_commit(lambda: delete_stored(names))


def _delete_bulk_evidence(connection: Connection) -> None:
    """Delete the connection's records, their provenance and staged rows in three statements.

    Django's collector would fetch millions of records to cascade them a chunk at a time;
    what it finds afterwards is only the batches and the other small evidence.
    """
    records, provenance = quote(Record._meta.db_table), quote(RecordProvenance._meta.db_table)
    batches = quote(AcquisitionBatch._meta.db_table)
    with db.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {provenance} WHERE record_id IN (SELECT id FROM {records} WHERE connection_id = %s)",
            [connection.pk],
        )
        cursor.execute(f"DELETE FROM {records} WHERE connection_id = %s", [connection.pk])
        cursor.execute(
            f"DELETE FROM {quote(STAGING_TABLE)} WHERE batch_id IN (SELECT id FROM {batches} WHERE connection_id = %s)",
            [connection.pk],
        )
