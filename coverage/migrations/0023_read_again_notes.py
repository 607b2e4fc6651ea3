"""Imports read again before their receipts said so get the note that says it.

``pipeline.reread.commit_reread`` now leaves a ``read_again`` note on the import it read again
(the newer reading, its zone, when, where its records stand), so the import's receipt no longer
shows only the old zone's range. Imports read again before keep ``options["superseded_by"]``;
this adds their note from that reading. Run again, it finds nothing left to do. Backwards is a
no-op (a note the code reads, harmless to an older one).
"""

from __future__ import annotations

from django.db import migrations

from connections.connectors import get as get_manifest
from coverage.reread_words import READ_AGAIN, read_again_note


def forwards(apps, schema_editor):
    Batch = apps.get_model("coverage", "AcquisitionBatch")
    olds = Batch.objects.filter(options__has_key="superseded_by").order_by("pk")
    for old in olds.select_related("connection").iterator(chunk_size=500):
        if any(w.get("kind") == READ_AGAIN for w in old.warnings or ()):
            continue
        reading = Batch.objects.filter(pk=old.options["superseded_by"], status="committed").first()
        if reading is None:
            continue
        note = read_again_note(reading, get_manifest(old.connection.connector).record_noun)
        Batch.objects.filter(pk=old.pk).update(warnings=[*(old.warnings or []), note])


class Migration(migrations.Migration):
    dependencies = [("coverage", "0022_holes_know_their_instants")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
