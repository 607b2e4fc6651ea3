"""The staging table of the acquisition pipeline (coverage.acquisition).

Parsed records wait here between preview and commit, keyed by (batch, stream, key) so
in-file duplicates collapse on insert and memory stays flat however large the artifact.

The table is created through the schema editor (portable DDL) but kept out of the
migration state: only ``coverage.acquisition`` touches it, with plain SQL, so there is no
model class, no admin and nothing for ``makemigrations`` to track.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("coverage", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.CreateModel(
                    name="StagedRecord",
                    fields=[
                        ("pk", models.CompositePrimaryKey("batch_id", "stream", "key", blank=True, editable=False, primary_key=True, serialize=False)),
                        ("batch_id", models.BigIntegerField()),
                        ("stream", models.CharField(max_length=40)),
                        ("key", models.CharField(max_length=120)),
                        ("event_at", models.DateTimeField()),
                        ("event_day", models.IntegerField()),  # proleptic ordinal of the UTC day
                        ("payload", models.JSONField(default=dict)),
                        ("media", models.CharField(blank=True, default="", max_length=10)),
                    ],
                    options={"db_table": "coverage_stagedrecord"},
                ),
            ],
            state_operations=[],
        ),
    ]
