"""On SQLite too the database refuses UPDATE and DELETE on the audit log (triggers).

Someone with write access to the file can drop the triggers; the hash chain and the signed
checkpoints kept outside the database (``lianxin.core.audit``) detect that tampering.
"""

from django.db import migrations

from lianxin.core.dbbackends.sqlite3.base import APPEND_ONLY_TRIGGERS


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in APPEND_ONLY_TRIGGERS.values():
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name in APPEND_ONLY_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only_trigger")]
    operations = [migrations.RunPython(forwards, backwards)]
