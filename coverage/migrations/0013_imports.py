"""An import's everyday life: previews read by the worker, imports the owner undoes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("coverage", "0012_whatsapp_keys")]

    operations = [
        migrations.AddField(
            model_name="acquisitionbatch",
            name="reading_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="acquisitionbatch",
            name="removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="acquisitionbatch",
            name="removal",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="acquisitionbatch",
            name="status",
            field=models.CharField(
                choices=[
                    ("preview", "Preview"),
                    ("committing", "Committing"),
                    ("committed", "Committed"),
                    ("duplicate", "Duplicate"),
                    ("rejected", "Rejected"),
                    ("failed", "Failed"),
                    ("removed", "Removed"),
                ],
                default="preview",
                max_length=12,
            ),
        ),
    ]
