"""Every database carries the capability catalogue (``network.rules.CAPABILITIES``)."""

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from lianxin.network.rules import sync_capabilities

    sync_capabilities(apps.get_model("network", "Capability"))


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
