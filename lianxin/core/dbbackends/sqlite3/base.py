"""Django's SQLite backend, with the audit log's append-only triggers kept across ``flush``.

SQLite's ``flush`` empties tables with ``DELETE``, which the append-only trigger refuses. A flush
is an administrative reset of the whole database (like deleting the file), so it drops the
triggers, empties the tables and puts the triggers back, all in the one flush transaction.
"""

from __future__ import annotations

from django.db.backends.sqlite3 import base

AUDIT_TABLE = "core_auditevent"
APPEND_ONLY_TRIGGERS = {
    "core_auditevent_no_update": (
        "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    ),
    "core_auditevent_no_delete": (
        "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    ),
}


class DatabaseOperations(base.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if AUDIT_TABLE not in tables:
            return statements
        drop = [f"DROP TRIGGER IF EXISTS {name};" for name in APPEND_ONLY_TRIGGERS]
        create = [f"{sql};" for sql in APPEND_ONLY_TRIGGERS.values()]
        return [*drop, *statements, *create]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
