"""An index for the worklist's "reported" state: a centre's completed studies, latest signed
first (see ``queries.REPORTED_ORDER``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0002_sync_catalogue")]

    operations = [
        migrations.AddIndex(
            model_name="examorder",
            index=models.Index(
                fields=["performer_institution", "status", "-signed_at", "-id"],
                name="exam_reported_idx",
            ),
        ),
    ]
