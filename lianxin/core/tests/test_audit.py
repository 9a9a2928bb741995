import pytest
from django.core.management import call_command
from django.db import connection, transaction

from lianxin.core import audit
from lianxin.core.dbbackends.sqlite3.base import APPEND_ONLY_TRIGGERS
from lianxin.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _write(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            audit.record(
                "test.thing_changed",
                actor=None,
                target_type="test.thing",
                target_id=str(i),
                before={"n": i},
                after={"n": i + 1, "id_number": "350426196005170011"},
            )


def _raw(sql: str, params: list) -> None:
    """Tamper as someone with database rights would: drop the append-only triggers first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        else:
            for name in APPEND_ONLY_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
        else:
            for create in APPEND_ONLY_TRIGGERS.values():
                cursor.execute(create)


def test_an_untouched_chain_verifies():
    _write(5)
    assert audit.verify() == []


def test_it_never_stores_an_id_number_in_clear():
    _write(1)
    event = AuditEvent.objects.get()
    assert event.after["id_number"] == "350***********0011"


def test_it_detects_a_changed_row():
    _write(5)
    _raw("UPDATE core_auditevent SET action = %s WHERE seq = %s", ["test.innocent", 3])
    problems = audit.verify()
    assert [p.seq for p in problems] == [3]
    assert "changed" in problems[0].message


def test_it_detects_a_deleted_row_in_the_middle():
    _write(5)
    _raw("DELETE FROM core_auditevent WHERE seq = %s", [2])
    problems = audit.verify()
    assert {p.seq for p in problems} == {3}
    assert any("missing" in p.message for p in problems)


def test_it_detects_rows_cut_from_the_end():
    _write(5)
    _raw("DELETE FROM core_auditevent WHERE seq >= %s", [4])
    problems = audit.verify()
    assert len(problems) == 1 and problems[0].seq is None


def test_the_orm_refuses_to_change_a_row():
    _write(1)
    event = AuditEvent.objects.get()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_write_outside_a_transaction():
    with pytest.raises(RuntimeError):
        audit.record("test.x", actor=None)


def test_the_verify_command_fails_on_tampering(capsys):
    _write(3)
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out
    _raw("UPDATE core_auditevent SET target_id = %s WHERE seq = %s", ["999", 2])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "#2" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database trigger on PostgreSQL")
def test_postgresql_itself_refuses_updates():
    from django.db.utils import DatabaseError

    _write(1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditevent SET action = 'x'")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite triggers")
@pytest.mark.parametrize(
    "sql", ["UPDATE core_auditevent SET action = 'x'", "DELETE FROM core_auditevent"]
)
def test_sqlite_itself_refuses_to_change_or_delete_rows(sql):
    from django.db.utils import DatabaseError

    _write(1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.count() == 1


@pytest.fixture
def checkpoints(settings, tmp_path, django_capture_on_commit_callbacks):
    """Checkpoints every two rows into a file outside the database."""
    settings.LIANXIN_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.jsonl")
    settings.LIANXIN_AUDIT_CHECKPOINT_EVERY = 2

    def write(n: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            _write(n)

    return tmp_path / "audit-checkpoints.jsonl", write


def test_it_detects_the_newest_rows_cut_and_the_head_rewound(checkpoints):
    path, write = checkpoints
    write(5)
    assert [line for line in path.read_text().splitlines() if line]  # rows #2 and #4
    assert audit.verify() == []
    row3 = AuditEvent.objects.get(seq=3)
    _raw("DELETE FROM core_auditevent WHERE seq >= %s", [4])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditchainhead SET seq = %s, hash = %s WHERE id = 1", [3, row3.hash]
        )
    problems = audit.verify()
    assert len(problems) == 1
    assert "checkpoint" in problems[0].message and "#4" in problems[0].message


def test_it_detects_a_forged_checkpoint_and_a_rewritten_chain(checkpoints):
    path, write = checkpoints
    write(2)
    text = path.read_text()
    path.write_text(text.replace('"seq": 2', '"seq": 1'))
    problems = audit.verify()
    assert any("not signed" in p.message for p in problems)
    path.write_text(text)
    _raw("UPDATE core_auditevent SET hash = %s WHERE seq = %s", ["f" * 64, 2])
    assert any("differs from its checkpoint" in p.message for p in audit.verify())


def test_a_clean_verification_checkpoints_the_head(checkpoints, capsys):
    path, write = checkpoints
    write(3)
    call_command("audit", "verify")
    assert '"seq": 3' in path.read_text().splitlines()[-1]
