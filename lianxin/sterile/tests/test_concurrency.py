"""Real parallel transactions (PostgreSQL): two issue scans of one pack at the same moment give
one issue and one refusal; so do two use scans on two patients."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError
from lianxin.sterile.models import PackEvent
from lianxin.sterile.rules import Step
from lianxin.sterile.tests.conftest import at, new_pack, scan, sterilise, to_branch
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _race(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except ActionError:
            outcomes.append("refused")
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


def test_a_pack_scanned_for_issue_at_two_desks_at_once_is_issued_once(cssd, personas):
    new_pack(cssd, personas, "XD-300001")
    sterilise(cssd, ["XD-300001"], at())
    for user in (cssd.operator, cssd.checker):
        access_for(user)
    outcomes = _race(
        [
            lambda who=who, branch=branch: scan(
                who, Step.ISSUE, "XD-300001", at(hours=2), branch=branch
            )
            for who, branch in (
                (cssd.operator, personas.township_a),
                (cssd.checker, personas.village_a),
            )
        ]
    )
    assert outcomes == ["ok", "refused"]
    assert PackEvent.objects.filter(pack__barcode="XD-300001", step="issue").count() == 1
    assert audit.verify() == []


def test_a_pack_cannot_be_used_on_two_patients_at_once(cssd, personas):
    new_pack(cssd, personas, "XD-300002")
    sterilise(cssd, ["XD-300002"], at())
    to_branch(cssd, personas, "XD-300002", at(hours=2))
    other = PatientFactory(name="赵五")
    register_at(other, personas.township_a)
    access_for(cssd.nurse)
    outcomes = _race(
        [
            lambda p=p: scan(
                cssd.nurse,
                Step.USE,
                "XD-300002",
                at(hours=4),
                patient=p,
                procedure="清创缝合术",
                surgeon=cssd.surgeon,
            )
            for p in (personas.patient, other)
        ]
    )
    assert outcomes == ["ok", "refused"]
    assert PackEvent.objects.filter(pack__barcode="XD-300002", step="use").count() == 1
