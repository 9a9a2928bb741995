"""Remote consultations and MDTs: records shared for the consultation only, opinion, rating."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.core.workflow import Status
from lianxin.patients.models import Patient
from lianxin.referrals.actions import (
    do_accept_consultation,
    do_contribute_opinion,
    do_rate_consultation,
    do_reject_consultation,
    do_request_consultation,
    do_sign_opinion,
)
from lianxin.referrals.actions.consultations import Invitee
from lianxin.testing.factories import (
    DepartmentFactory,
    InstitutionFactory,
    MembershipFactory,
    UserFactory,
    add_member,
)

pytestmark = pytest.mark.django_db


def _ask(personas, invitees, kind="remote", **extra):
    return do_request_consultation(
        actor=personas.doctor,
        patient=personas.patient,
        invitees=invitees,
        kind=kind,
        question="心电图 ST 段压低，是否需要转诊？",
        **extra,
    )


def _later(hours=2):
    return timezone.now() + datetime.timedelta(hours=hours)


def test_the_invited_side_sees_the_record_only_while_the_consultation_lasts(
    personas, cardiology, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    visible = Patient.objects.visible_to
    assert not visible(personas.specialist).exists()
    consultation = _ask(personas, [Invitee(personas.county_a, cardiology)])
    assert visible(personas.specialist).filter(pk=personas.patient.pk).exists()
    assert AuditEvent.objects.filter(action="patient.care.open").count() == 1
    do_accept_consultation(
        actor=personas.specialist, consultation=consultation, scheduled_at=_later()
    )
    do_sign_opinion(actor=personas.specialist, consultation=consultation, opinion="建议上转")
    assert consultation.status == Status.COMPLETED
    assert consultation.signed_by.user == personas.specialist
    # Still open for late questions for a week, then closed.
    time_machine.shift(datetime.timedelta(days=6))
    assert visible(personas.specialist).exists()
    time_machine.shift(datetime.timedelta(days=2))
    assert not visible(personas.specialist).exists()


def test_a_rejection_closes_the_access_at_once(personas, cardiology):
    consultation = _ask(personas, [Invitee(personas.county_a, cardiology)])
    with pytest.raises(ValidationError):
        do_reject_consultation(actor=personas.specialist, consultation=consultation, reason="")
    do_reject_consultation(
        actor=personas.specialist, consultation=consultation, reason="非本专科问题"
    )
    assert not Patient.objects.visible_to(personas.specialist).exists()


def test_an_mdt_invites_several_institutions_and_each_contributes(personas, cardiology):
    tertiary = InstitutionFactory(name="南平市第一医院", tier="tertiary", division_code="350700")
    add_member(personas.community_a, tertiary)
    surgery = DepartmentFactory(institution=tertiary, name="心外科", code="CS")
    surgeon = UserFactory(username="surgeon")
    MembershipFactory(user=surgeon, institution=tertiary, department=surgery, role="clinician")
    consultation = _ask(
        personas,
        [Invitee(personas.county_a, cardiology), Invitee(tertiary, surgery)],
        kind="mdt",
    )
    assert Patient.objects.visible_to(surgeon).exists()
    do_accept_consultation(
        actor=personas.specialist, consultation=consultation, scheduled_at=_later()
    )
    do_contribute_opinion(actor=surgeon, consultation=consultation, text="可考虑搭桥")
    with pytest.raises(NotAllowed):
        do_contribute_opinion(actor=personas.outsider, consultation=consultation, text="x")
    do_sign_opinion(actor=personas.specialist, consultation=consultation, opinion="综合意见")
    assert consultation.invitees.get(institution=tertiary).opinion == "可考虑搭桥"


def test_a_remote_consultation_has_one_invited_party(personas, cardiology):
    other = DepartmentFactory(institution=personas.county_a, name="神经内科", code="NEU")
    with pytest.raises(ValidationError) as info:
        _ask(personas, [Invitee(personas.county_a, cardiology), Invitee(personas.county_a, other)])
    assert "invitees" in info.value.message_dict


def test_a_proposed_time_in_the_past_is_refused(personas, cardiology):
    with pytest.raises(ValidationError) as info:
        _ask(personas, [Invitee(personas.county_a, cardiology)], proposed_at=_later(-1))
    assert "proposed_at" in info.value.message_dict


def test_only_the_inviting_side_rates_and_only_once(personas, cardiology):
    consultation = _ask(personas, [Invitee(personas.county_a, cardiology)])
    with pytest.raises(ActionError):
        do_rate_consultation(actor=personas.doctor, consultation=consultation, rating=5)
    do_accept_consultation(
        actor=personas.specialist, consultation=consultation, scheduled_at=_later()
    )
    do_sign_opinion(actor=personas.specialist, consultation=consultation, opinion="意见")
    with pytest.raises(NotAllowed):
        do_rate_consultation(actor=personas.specialist, consultation=consultation, rating=5)
    with pytest.raises(ValidationError):
        do_rate_consultation(actor=personas.doctor, consultation=consultation, rating=0)
    do_rate_consultation(actor=personas.doctor, consultation=consultation, rating=4, comment="及时")
    assert consultation.rating == 4 and consultation.business_status == "rated"
    with pytest.raises(ActionError):
        do_rate_consultation(actor=personas.doctor, consultation=consultation, rating=5)


def test_an_opinion_is_signed_by_a_practitioner_only(personas, cardiology):
    clerk = UserFactory(username="clerk")
    MembershipFactory(user=clerk, institution=personas.county_a, role="clinician")
    consultation = _ask(personas, [Invitee(personas.county_a, cardiology)])
    do_accept_consultation(
        actor=personas.specialist, consultation=consultation, scheduled_at=_later()
    )
    with pytest.raises(NotAllowed):
        do_sign_opinion(actor=clerk, consultation=consultation, opinion="意见")
    consultation.refresh_from_db()
    assert consultation.status == Status.ACCEPTED
