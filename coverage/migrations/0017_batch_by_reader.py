"""An index of imports by reader: the loader's count of imports read by an older reader probes it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("coverage", "0016_lane_slots_from_records")]

    operations = [
        migrations.AddIndex(
            model_name="acquisitionbatch",
            index=models.Index(fields=["connection", "method", "status", "parser_version"], name="batch_by_reader"),
        ),
    ]
