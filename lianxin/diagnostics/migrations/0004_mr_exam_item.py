"""Sync the catalogue again: the head MR that imaging centres read from the DICOM service."""

from django.db import migrations


def sync(apps, schema_editor):
    from lianxin.diagnostics.catalogue import sync_catalogue

    sync_catalogue(
        apps.get_model("diagnostics", "ExamItem"), apps.get_model("diagnostics", "RecognitionRule")
    )


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0003_exam_reported_index")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
