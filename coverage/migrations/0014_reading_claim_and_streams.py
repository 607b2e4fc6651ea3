"""A preview's reader (re-read by the sweep when it is gone) and the coverage of each stream of a file."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("coverage", "0013_imports")]

    operations = [
        migrations.AddField(
            model_name="acquisitionbatch",
            name="read_by",
            field=models.CharField(blank=True, default="", max_length=120),
        ),
        migrations.AddField(
            model_name="acquisitionbatch",
            name="read_attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="acquisitionbatch",
            name="stream_coverage",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
