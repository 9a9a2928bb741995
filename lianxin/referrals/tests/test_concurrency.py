"""Real parallel transactions (PostgreSQL): two departments cannot both accept one referral, and
two bookings cannot take one slot."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import Conflict
from lianxin.core.workflow import Status
from lianxin.referrals.actions import do_accept_referral, do_create_referral, do_publish_slots
from lianxin.referrals.models import AppointmentSlot, Referral
from lianxin.testing.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 3


def _race(calls) -> list[str]:
    """Run the calls at the same moment, each in its own thread and connection."""
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


def _refer(personas, department=None):
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=department,
        reason="胸痛",
        diagnosis_text="胸痛待查",
    )


def test_two_departments_accepting_one_referral_give_one_success(personas, slow_audit):
    cardiology = DepartmentFactory(institution=personas.county_a, name="心内科", code="C1")
    emergency = DepartmentFactory(institution=personas.county_a, name="急诊科", code="E1")
    other = UserFactory(username="er_doctor")
    MembershipFactory(
        user=other, institution=personas.county_a, department=emergency, role="clinician"
    )
    for user in (personas.specialist, other):
        access_for(user)
    for _round in range(ROUNDS):
        referral = _refer(personas)
        outcomes = _race(
            [
                lambda r=referral: do_accept_referral(
                    actor=personas.specialist,
                    referral=Referral.objects.get(pk=r.pk),
                    department=cardiology,
                ),
                lambda r=referral: do_accept_referral(
                    actor=other, referral=Referral.objects.get(pk=r.pk), department=emergency
                ),
            ]
        )
        assert outcomes == ["conflict", "ok"]
        referral.refresh_from_db()
        assert referral.status == Status.ACCEPTED
        assert referral.transitions.filter(to_status=Status.ACCEPTED).count() == 1
    assert audit.verify() == []


def test_two_bookings_of_one_slot_give_one_success(personas, slow_audit, tomorrow_9):
    cardiology = DepartmentFactory(institution=personas.county_a, name="心内科", code="C1")
    head = UserFactory(username="head_c")
    MembershipFactory(
        user=head, institution=personas.county_a, department=cardiology, role="department_head"
    )
    second = UserFactory(username="cardio_two")
    MembershipFactory(
        user=second, institution=personas.county_a, department=cardiology, role="clinician"
    )
    for user in (personas.specialist, second, head):
        access_for(user)
    for _round in range(ROUNDS):
        (slot,) = do_publish_slots(
            actor=head, department=cardiology, starts_at=tomorrow_9, minutes=10, count=1
        )
        first, other = _refer(personas, cardiology), _refer(personas, cardiology)
        outcomes = _race(
            [
                lambda r=first, s=slot: do_accept_referral(
                    actor=personas.specialist,
                    referral=Referral.objects.get(pk=r.pk),
                    slot=AppointmentSlot.objects.get(pk=s.pk),
                ),
                lambda r=other, s=slot: do_accept_referral(
                    actor=second,
                    referral=Referral.objects.get(pk=r.pk),
                    slot=AppointmentSlot.objects.get(pk=s.pk),
                ),
            ]
        )
        assert outcomes == ["conflict", "ok"]
        slot.refresh_from_db()
        winner = Referral.objects.get(pk=slot.referral_id)
        loser = other if winner.pk == first.pk else first
        loser.refresh_from_db()
        # The loser's acceptance rolled back with the failed booking: still waiting, no slot.
        assert winner.status == Status.ACCEPTED and loser.status == Status.REQUESTED
        assert not AppointmentSlot.objects.filter(referral=loser).exists()
