"""PostgreSQL: the staging table is UNLOGGED (no write-ahead log for it).

Staged rows are a cache of what the stored artifact holds between preview and commit. An
unlogged table costs about half as much to fill; its one risk, being emptied when the
server restarts after a crash, is covered by ``coverage.acquisition``, which reads the
stored artifact again when a batch's staged rows are gone. Other databases: nothing to do.
"""

from django.db import migrations


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE coverage_stagedrecord SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE coverage_stagedrecord SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("coverage", "0004_bulk_friendly_references")]

    operations = [migrations.RunPython(unlogged, logged, elidable=False)]
