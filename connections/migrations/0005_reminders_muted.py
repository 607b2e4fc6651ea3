from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0004_skipped_pulls_and_media_required'),
    ]

    operations = [
        migrations.AddField(
            model_name='connection',
            name='reminders_muted',
            field=models.BooleanField(db_default=False, default=False),
        ),
    ]
