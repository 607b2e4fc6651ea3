from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("coverage", "0011_batch_landing_tally")]
    operations: list = []
