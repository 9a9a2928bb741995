import pytest
from django.core.management import call_command
from django.db import connection, transaction

from lianxin.core import audit
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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An attacker with database rights would drop the append-only trigger first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")


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
