"""What the referral pages tell the doctors: the patient's age, sex and masked ID; destinations
that fit the direction; the department asked for pre-filled on accept; a warning for a second
open referral to the same place; a doctor of another department refused; and the draft
down-referral that sending the outcome back created, linked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianxin.referrals.actions import (
    do_accept_referral,
    do_complete_referral,
    do_create_referral,
    do_record_arrival,
)
from lianxin.referrals.models import Referral
from lianxin.testing.factories import DepartmentFactory, InstitutionFactory
from lianxin.workforce.models import Practitioner

pytestmark = pytest.mark.django_db


def _refer(personas, department, **extra):
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=department,
        reason="胸痛反复发作",
        diagnosis_text="不稳定型心绞痛",
        **extra,
    )


def _page(personas, who, referral):
    return personas.client(who).get(
        reverse("referrals:detail", kwargs={"id": referral.external_id})
    )


def test_the_referral_page_shows_age_sex_and_the_masked_id_number(personas, cardiology):
    referral = _refer(personas, cardiology)
    page = _page(personas, "specialist", referral).content.decode()
    patient = personas.patient
    assert patient.masked_id_number in page and patient.id_number not in page
    assert f"{patient.age_on()} years old" in page and patient.get_sex_display() in page


def test_up_referral_destinations_are_higher_levels_with_clinical_departments(personas, cardiology):
    other_township = InstitutionFactory(name="湖头镇卫生院", tier="township")
    DepartmentFactory(institution=other_township, name="全科", code="QK2")
    page = personas.client("doctor").get(
        reverse("referrals:create"), {"patient": personas.patient.external_id}
    )
    offered = list(page.context["form"].offered["performer_institution"])
    assert personas.county_a in offered
    assert personas.village_a not in offered and other_township not in offered
    down = personas.client("doctor").get(
        reverse("referrals:create"),
        {"patient": personas.patient.external_id, "direction": "down"},
    )
    assert personas.county_a not in list(down.context["form"].offered["performer_institution"])


def test_the_accept_form_starts_with_the_department_asked_for(personas, cardiology):
    referral = _refer(personas, cardiology)
    page = _page(personas, "specialist", referral)
    form = page.context["accept_form"]
    assert form["department"].value() == cardiology.external_id


def test_a_second_open_referral_to_the_same_place_is_pointed_out(personas, cardiology):
    first = _refer(personas, cardiology)
    second = _refer(personas, cardiology)
    page = _page(personas, "doctor", second).content.decode()
    assert "already has an open referral to the same institution" in page
    assert str(first.external_id) in page


def test_a_doctor_of_another_department_is_refused(personas, cardiology):
    surgery = DepartmentFactory(institution=personas.county_a, name="普外科", code="PWK")
    surgeon = Practitioner.objects.create(
        name="赵医生", title="attending", institution=personas.county_a, department=surgery
    )
    with pytest.raises(ValidationError) as refused:
        _refer(personas, cardiology, requested_practitioner=surgeon)
    assert "requested_practitioner" in refused.value.message_dict
    assert not Referral.objects.exists()


def test_sending_the_outcome_back_says_a_draft_down_referral_was_made_and_links_it(
    personas, cardiology
):
    referral = _refer(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=referral)
    do_record_arrival(actor=personas.specialist, referral=referral)
    do_complete_referral(actor=personas.specialist, referral=referral, outcome_summary="好转出院")
    draft = Referral.objects.get(follows=referral)
    page = _page(personas, "specialist", referral).content.decode()
    assert "drafted the downward referral" in page
    assert reverse("referrals:detail", kwargs={"id": draft.external_id}) in page
