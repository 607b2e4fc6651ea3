from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("coverage", "0012_whatsapp_keys")]
    operations: list = []
