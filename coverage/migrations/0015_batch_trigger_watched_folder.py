"""A batch's trigger holds "watched_folder" (issue 18's name); batches stored as "folder" are renamed."""

from django.db import migrations, models


def _rename(apps, schema_editor, old, new):
    apps.get_model("coverage", "AcquisitionBatch").objects.filter(trigger=old).update(trigger=new)


class Migration(migrations.Migration):
    dependencies = [("coverage", "0014_reading_claim_and_streams")]

    operations = [
        migrations.AlterField(
            model_name="acquisitionbatch",
            name="trigger",
            field=models.CharField(default="manual", max_length=20),
        ),
        migrations.RunPython(
            lambda apps, editor: _rename(apps, editor, "folder", "watched_folder"),
            lambda apps, editor: _rename(apps, editor, "watched_folder", "folder"),
        ),
    ]
