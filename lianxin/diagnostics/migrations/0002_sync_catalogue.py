"""Sync the exam catalogue and the default recognition rules from ``rules.py``."""

from django.db import migrations


def sync(apps, schema_editor):
    from lianxin.diagnostics.catalogue import sync_catalogue

    sync_catalogue(
        apps.get_model("diagnostics", "ExamItem"), apps.get_model("diagnostics", "RecognitionRule")
    )


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_initial")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
