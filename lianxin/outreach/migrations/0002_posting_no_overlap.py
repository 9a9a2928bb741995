"""On PostgreSQL the database itself refuses two postings of one practitioner on the same day.

The action checks first (with a clear message naming the clashing posting) and locks the
practitioner; this exclusion constraint is the last line should another writer skip the action.
``btree_gist`` lets the practitioner's integer key take part in a GiST index next to the date
range. SQLite has no exclusion constraints; there the action's check is the rule.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE outreach_posting ADD CONSTRAINT posting_practitioner_one_place_a_day
    EXCLUDE USING gist (
        practitioner_id WITH =,
        daterange(starts_on, ends_on, '[]') WITH &&
    ) WHERE (NOT is_cancelled);
"""
DROP = """
ALTER TABLE outreach_posting DROP CONSTRAINT IF EXISTS posting_practitioner_one_place_a_day;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
