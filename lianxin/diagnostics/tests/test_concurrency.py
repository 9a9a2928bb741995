"""Real parallel transactions (PostgreSQL): two readers claiming one study at the same moment
give one claim and one conflict; two orders at once never share an accession number."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import Conflict
from lianxin.diagnostics import actions
from lianxin.diagnostics.models import ExamItem, ExamOrder
from lianxin.diagnostics.tests.helpers import performed

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 3


def _race(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # anything else must show in the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return sorted(outcomes)


@pytest.fixture
def slow_audit(monkeypatch):
    """Hold each winner in its transaction a little, so the loser meets the lock for real."""
    import time

    real = audit.record

    def slow(*args, **kwargs):
        event = real(*args, **kwargs)
        time.sleep(0.05)
        return event

    monkeypatch.setattr(audit, "record", slow)


def test_two_readers_claiming_one_study_give_one_claim(personas, centre, slow_audit):
    for user in (centre.resident, centre.second):
        access_for(user)
    for _round in range(ROUNDS):
        item = performed(personas, centre)
        outcomes = _race(
            [
                lambda pk=item.pk, who=who: actions.do_claim_study(
                    actor=who, order=ExamOrder.objects.get(pk=pk)
                )
                for who in (centre.resident, centre.second)
            ]
        )
        assert outcomes == ["conflict", "ok"]
        item.refresh_from_db()
        assert item.owner_id in {centre.resident.pk, centre.second.pk}
        assert item.transitions.filter(name="claim").count() == 1
    assert audit.verify() == []


def test_simultaneous_orders_get_distinct_accession_numbers(personas, centre):
    access_for(personas.doctor)
    exam = ExamItem.objects.get(code="CT-CHEST")
    outcomes = _race(
        [
            lambda: actions.do_order_exam(
                actor=personas.doctor, patient=personas.patient, exam=exam
            )
            for _n in range(4)
        ]
    )
    assert outcomes == ["ok"] * 4
    numbers = list(ExamOrder.objects.values_list("accession_number", flat=True))
    assert len(set(numbers)) == 4
