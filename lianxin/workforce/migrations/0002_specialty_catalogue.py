"""Every database carries the specialty catalogue (``workforce.rules.SPECIALTIES``)."""

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from lianxin.workforce.rules import sync_specialties

    sync_specialties(apps.get_model("workforce", "Specialty"))


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
