"""Imports read again keep their file's SHA-256 and lead to their newest reading.

``pipeline.reread.commit_reread`` hands an import's file (and its SHA-256) over to the reading
that replaces it; its ``read_again`` note now keeps the SHA-256, so the receipt still names the
file it was, and an import read again twice (two zone changes) leads to its newest reading, not
to the first one. This fills the SHA-256 in from the reading that holds the file now (the last
of the chain ``options["superseded_by"]``) and points the note there. Run again, it finds nothing
left to do. Backwards is a no-op (a note the code reads, harmless to an older one).
"""

from __future__ import annotations

from django.db import migrations

from connections.connectors import get as get_manifest
from coverage.reread_words import READ_AGAIN, read_again_note

MAX_CHAIN = 100  # readings of one import followed at most (a chain is as long as the zone changes)


def forwards(apps, schema_editor):
    Batch = apps.get_model("coverage", "AcquisitionBatch")
    olds = Batch.objects.filter(options__has_key="superseded_by").order_by("pk")
    for old in olds.select_related("connection").iterator(chunk_size=500):
        notes = [w for w in old.warnings or () if w.get("kind") == READ_AGAIN]
        newest, steps = Batch.objects.filter(pk=old.options["superseded_by"]).first(), 0
        while newest is not None and (newest.options or {}).get("superseded_by") and steps < MAX_CHAIN:
            newest, steps = Batch.objects.filter(pk=newest.options["superseded_by"]).first(), steps + 1
        if not notes or newest is None or newest.status != "committed":
            continue
        sha256 = notes[-1].get("sha256") or newest.artifact_sha256
        if notes[-1].get("batch_id") == newest.pk and notes[-1].get("sha256") == sha256:
            continue
        note = read_again_note(newest, get_manifest(old.connection.connector).record_noun, sha256)
        warnings = [note if w is notes[-1] else w for w in old.warnings]
        Batch.objects.filter(pk=old.pk).update(warnings=warnings)


class Migration(migrations.Migration):
    dependencies = [("coverage", "0023_read_again_notes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
