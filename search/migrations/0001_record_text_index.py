"""The full-text index of the owner's text records (issue 17), in each database's own engine.

SQLite: an FTS5 table kept by triggers on ``coverage_record``, filled here with the records
already held. PostgreSQL: a partial GIN expression index, built here from the records held.
"""

from django.db import migrations

from search.backends import create_sql, drop_sql


def create(apps, schema_editor):
    for sql in create_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("coverage", "0011_batch_landing_tally")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
