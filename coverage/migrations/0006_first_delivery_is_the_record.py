"""A record's first delivery is the record itself (``Record.first_batch``), no longer also a row.

``RecordProvenance`` keeps only later deliveries through other methods. This drops the rows
that repeat a record's first batch; going back writes them again.
"""

from django.db import migrations


def drop_first_deliveries(apps, schema_editor):
    schema_editor.execute(
        "DELETE FROM coverage_recordprovenance WHERE EXISTS (SELECT 1 FROM coverage_record r "
        "WHERE r.id = coverage_recordprovenance.record_id AND r.first_batch_id = coverage_recordprovenance.batch_id)"
    )


def write_first_deliveries(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO coverage_recordprovenance (record_id, batch_id, method) "
        "SELECT r.id, r.first_batch_id, b.method FROM coverage_record r "
        "JOIN coverage_acquisitionbatch b ON b.id = r.first_batch_id"
    )


class Migration(migrations.Migration):
    dependencies = [("coverage", "0005_unlogged_staging")]

    operations = [migrations.RunPython(drop_first_deliveries, write_first_deliveries, elidable=False)]
