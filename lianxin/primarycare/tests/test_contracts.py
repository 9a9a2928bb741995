"""Signing, renewing and terminating contracts; one active contract per resident."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.core.workflow import Status
from lianxin.primarycare.actions import (
    do_record_key_population,
    do_renew_contract,
    do_sign_contract,
    do_terminate_contract,
)
from lianxin.primarycare.models import Contract, ContractStatus, FollowUpPlan
from lianxin.primarycare.rules import ConsentMethod, TerminationReason

pytestmark = pytest.mark.django_db


def sign(personas, family, actor=None, **kw):
    return do_sign_contract(
        actor=actor or personas.doctor,
        patient=personas.patient,
        team=family.team,
        doctor_member=family.lead,
        packages=kw.pop("packages", [family.basic, family.chronic]),
        consent_method=ConsentMethod.SIGNATURE,
        consent_by="张三",
        **kw,
    )


def test_the_lead_signs_a_resident_up_with_packages_fee_and_a_year(personas, family, today):
    contract = sign(personas, family)
    assert contract.status == ContractStatus.ACTIVE
    assert contract.village == personas.village_a
    assert contract.fee_total == family.chronic.fee
    assert contract.ends_on == today.replace(year=today.year + 1) - datetime.timedelta(days=1)
    assert sorted(contract.lines.values_list("package__code", flat=True)) == ["BASIC", "CHRONIC"]
    assert AuditEvent.objects.filter(
        action="primarycare.contract.sign", target_id=str(contract.external_id)
    ).exists()


def test_a_second_active_contract_is_refused_with_a_clear_message(personas, family):
    sign(personas, family)
    with pytest.raises(ValidationError) as err:
        sign(personas, family)
    assert "already has an active contract" in str(err.value.message_dict["patient"])
    assert Contract.objects.count() == 1


def test_the_database_refuses_a_second_active_contract_too(personas, family):
    contract = sign(personas, family)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.create(
            patient=contract.patient,
            team=family.team_b,
            doctor=contract.doctor,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            consent_method="signature",
            consent_by="x",
        )


def test_the_basic_package_is_part_of_every_contract(personas, family):
    with pytest.raises(ValidationError) as err:
        sign(personas, family, packages=[family.chronic])
    assert "basic package" in str(err.value)


def test_another_townships_team_cannot_sign_for_this_team(personas, family):
    with pytest.raises(NotAllowed):
        sign(personas, family, actor=family.rival)


def test_a_terminated_contract_needs_a_reason_and_cancels_the_chronic_plans(personas, family):
    contract = sign(personas, family)
    do_record_key_population(actor=personas.doctor, contract=contract, population="hypertension")
    plan = FollowUpPlan.objects.get(patient=personas.patient, programme="hypertension")
    with pytest.raises(ValidationError):
        do_terminate_contract(actor=personas.doctor, contract=contract, reason="")
    do_terminate_contract(
        actor=personas.doctor, contract=contract, reason=TerminationReason.MOVED, note="去厦门"
    )
    contract.refresh_from_db()
    plan.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    assert contract.termination_reason == TerminationReason.MOVED
    assert plan.status == Status.CANCELLED
    # The resident may sign again afterwards.
    assert sign(personas, family).status == ContractStatus.ACTIVE


def test_renewal_opens_only_in_the_last_two_months_and_continues_the_plans(personas, family):
    contract = sign(personas, family)
    do_record_key_population(actor=personas.doctor, contract=contract, population="diabetes")
    with pytest.raises(ActionError):
        do_renew_contract(
            actor=personas.doctor, contract=contract, consent_method="signature", consent_by="张三"
        )
    with time_machine.travel(contract.ends_on - datetime.timedelta(days=30), tick=False):
        new = do_renew_contract(
            actor=personas.doctor, contract=contract, consent_method="signature", consent_by="张三"
        )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.RENEWED
    assert new.renews == contract
    assert new.starts_on == contract.ends_on + datetime.timedelta(days=1)
    assert FollowUpPlan.objects.get(programme="diabetes").contract == new


def test_a_lapsed_contract_does_not_block_a_new_one(personas, family):
    contract = sign(personas, family)
    with time_machine.travel(contract.ends_on + datetime.timedelta(days=3), tick=False):
        new = sign(personas, family)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    assert new.status == ContractStatus.ACTIVE


def test_key_populations_come_from_diagnoses_and_open_follow_up_plans(personas, family, today):
    contract = sign(personas, family)
    do_record_key_population(
        actor=family.villager, contract=contract, population="hypertension", diagnosis_code="I10"
    )
    plan = FollowUpPlan.objects.get(patient=personas.patient, programme="hypertension")
    assert plan.status == Status.IN_PROGRESS
    assert plan.performer_institution == personas.village_a
    assert plan.next_due_on == today + datetime.timedelta(days=14)
    with pytest.raises(ValidationError):
        do_record_key_population(
            actor=family.villager, contract=contract, population="hypertension"
        )
    with pytest.raises(ValidationError):
        do_record_key_population(
            actor=family.villager, contract=contract, population="diabetes", diagnosis_code="I10"
        )
