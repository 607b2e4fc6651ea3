"""Indexes the loader walks from the newest end: by status, the newest batch that ended, the newest from the folder."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('coverage', '0017_batch_by_reader'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='acquisitionbatch',
            name='coverage_ac_connect_fc8d3b_idx',
        ),
        migrations.AddIndex(
            model_name='acquisitionbatch',
            index=models.Index(fields=['connection', 'status', '-created_at', '-id'], name='batch_by_status'),
        ),
        migrations.AddIndex(
            model_name='acquisitionbatch',
            index=models.Index(fields=['connection', '-created_at', '-id'], name='batch_newest'),
        ),
        migrations.AddIndex(
            model_name='acquisitionbatch',
            index=models.Index(fields=['connection', 'trigger', '-created_at', '-id'], name='batch_by_trigger'),
        ),
    ]
