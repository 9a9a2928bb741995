"""The figures the indicators will read: counts per direction, loop closure, acceptance time;
and the outbound channel that carries urgent notifications."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianxin.core.notify import ConsoleChannel
from lianxin.referrals.actions import (
    do_accept_referral,
    do_complete_referral,
    do_create_referral,
    do_record_arrival,
    do_reject_referral,
)
from lianxin.referrals.models import Referral
from lianxin.referrals.queries import loop_closure, monthly_figures

pytestmark = pytest.mark.django_db


def _refer(personas, cardiology, **extra):
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=cardiology,
        reason="胸痛",
        diagnosis_text="胸痛待查",
        **extra,
    )


def test_monthly_figures_count_directions_closure_and_acceptance_time(
    personas, cardiology, time_machine
):
    start = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0))
    time_machine.move_to(start, tick=False)
    closed = _refer(personas, cardiology)
    rejected = _refer(personas, cardiology)
    _refer(personas, cardiology, draft=True)  # a draft does not count
    time_machine.shift(datetime.timedelta(hours=3))
    do_accept_referral(actor=personas.specialist, referral=closed)
    do_record_arrival(actor=personas.specialist, referral=closed)
    do_complete_referral(
        actor=personas.specialist, referral=closed, outcome_summary="出院", propose_down=False
    )
    do_reject_referral(actor=personas.specialist, referral=rejected, reason="无床位")
    figures = monthly_figures(
        [personas.township_a.pk], start=datetime.date(2026, 1, 1), end=datetime.date(2027, 1, 1)
    )
    month = figures[(personas.township_a.pk, datetime.date(2026, 3, 1))]
    assert (month.up, month.down, month.counted, month.closed) == (2, 0, 2, 1)
    assert month.loop_closure_rate == 0.5
    assert month.median_acceptance_hours == pytest.approx(3.0)
    receiving = monthly_figures(
        [personas.county_a.pk],
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2027, 1, 1),
        side="performer",
    )
    assert receiving[(personas.county_a.pk, datetime.date(2026, 3, 1))].counted == 2
    assert loop_closure(Referral.objects.all()) == 0.5


def test_urgent_notifications_go_out_through_the_outbound_channel(
    personas, cardiology, django_capture_on_commit_callbacks
):
    personas.specialist.phone = "13912345678"
    personas.specialist.save()
    ConsoleChannel.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _refer(personas, cardiology, urgency="emergency")
    phones = [m.phone for m in ConsoleChannel.sent]
    assert "13912345678" in phones
    ConsoleChannel.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _refer(personas, cardiology)  # routine: the inbox only
    assert ConsoleChannel.sent == []
