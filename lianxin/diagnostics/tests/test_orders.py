"""Ordering: routing by service agreement, accession numbers, patient access for the centre,
and the steps before reading."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.workflow import Status
from lianxin.diagnostics import actions
from lianxin.diagnostics.models import ExamItem, ExamOrder, ServiceAgreement
from lianxin.diagnostics.rules import EXAMS, RECOGNITION_RULES
from lianxin.diagnostics.tests.helpers import order, performed
from lianxin.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_catalogue_and_recognition_rules_are_synced_by_the_migration():
    assert set(ExamItem.objects.values_list("code", flat=True)) == {e.code for e in EXAMS}
    frozen = ExamItem.objects.get(code="FROZEN")
    assert frozen.centre_type == "pathology" and frozen.is_urgent
    assert ExamItem.objects.filter(recognition_rule__isnull=False).count() == len(RECOGNITION_RULES)


def test_an_order_is_routed_to_the_sites_centre_with_an_accession_number(personas, centre):
    item = order(personas, "CT-CHEST")
    assert item.status == Status.REQUESTED and item.business_status == "ordered"
    assert item.centre == centre.imaging
    assert item.performer_institution == personas.county_a
    assert item.requester_institution == personas.township_a
    today = timezone.localdate()
    assert item.accession_number == f"CT{today:%y%m%d}0001"
    lab = order(personas, "CBC")
    assert lab.centre == centre.laboratory
    assert re.fullmatch(rf"LB{today:%y%m%d}0001", lab.accession_number)
    assert order(personas, "DR-CHEST").accession_number == f"DR{today:%y%m%d}0001"
    assert order(personas, "CT-HEAD").accession_number == f"CT{today:%y%m%d}0002"


def test_an_agreement_naming_the_item_wins_over_the_centre_type(personas, centre):
    other = centre.ecg.__class__.objects.create(
        institution=personas.county_a,
        name="第二影像中心",
        code="YX2",
        kind="shared_centre",
        centre_type="imaging",
    )
    ServiceAgreement.objects.create(
        site=personas.township_a,
        centre=other,
        centre_type="imaging",
        exam=ExamItem.objects.get(code="US-ABD"),
        starts_on=datetime.date(2020, 1, 1),
    )
    assert order(personas, "US-ABD").centre == other
    assert order(personas, "CT-CHEST").centre == centre.imaging


def test_it_refuses_an_order_without_a_service_agreement(personas, centre):
    before = ExamOrder.objects.count()
    with pytest.raises(ValidationError) as exc:
        order(personas, "BIOPSY")
    assert "exam" in exc.value.message_dict
    assert ExamOrder.objects.count() == before


def test_an_ended_agreement_no_longer_routes(personas, centre):
    ServiceAgreement.objects.filter(centre=centre.imaging).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        order(personas, "CT-CHEST")


def test_the_centre_sees_the_patient_while_it_works_on_the_order(personas, centre):
    assert not Patient.objects.visible_to(centre.resident).filter(pk=personas.patient.pk).exists()
    order(personas, "CT-CHEST")
    assert Patient.objects.visible_to(centre.resident).filter(pk=personas.patient.pk).exists()


def test_a_frozen_section_is_always_at_least_urgent(personas, centre):
    ServiceAgreement.objects.create(
        site=personas.township_a,
        centre=centre.ecg.__class__.objects.create(
            institution=personas.county_a,
            name="病理中心",
            code="BLZX",
            kind="shared_centre",
            centre_type="pathology",
        ),
        centre_type="pathology",
        starts_on=datetime.date(2020, 1, 1),
    )
    assert order(personas, "FROZEN").priority == "urgent"
    assert order(personas, "FROZEN", priority="stat").priority == "stat"


def test_an_outsider_cannot_order_for_the_site_and_nothing_is_written(personas, centre):
    with pytest.raises((NotAllowed, ValidationError)):
        actions.do_order_exam(
            actor=personas.outsider,
            patient=personas.patient,
            exam=ExamItem.objects.get(code="CT-CHEST"),
            requester_institution=personas.township_a,
        )
    assert not ExamOrder.objects.exists()


def test_a_bad_priority_is_refused(personas, centre):
    with pytest.raises(ValidationError) as exc:
        order(personas, "CT-CHEST", priority="whenever")
    assert "priority" in exc.value.message_dict


def test_the_site_performs_the_exam_and_the_study_waits_for_a_reader(personas, centre):
    item = order(personas, "CT-CHEST")
    actions.do_perform_exam(actor=personas.doctor, order=item, image_count=80)
    assert item.status == Status.IN_PROGRESS and item.business_status == "performed"
    assert item.performed_at is not None and item.image_count == 80
    assert item.due_at is not None  # reading is on the clock


def test_the_centre_schedules_an_order(personas, centre):
    item = order(personas, "CT-CHEST")
    when = timezone.now() + datetime.timedelta(hours=3)
    actions.do_schedule_exam(actor=centre.resident, order=item, scheduled_at=when)
    assert item.business_status == "scheduled" and item.scheduled_at == when
    with pytest.raises(NotAllowed):
        actions.do_schedule_exam(actor=personas.outsider, order=order(personas), scheduled_at=when)


def test_a_study_cannot_be_performed_twice(personas, centre):
    item = performed(personas, centre)
    with pytest.raises(ActionError):
        actions.do_perform_exam(actor=centre.resident, order=item)


def test_cancelling_ends_the_centres_access(personas, centre):
    item = order(personas, "CT-CHEST")
    actions.do_cancel_exam_order(actor=personas.doctor, order=item, reason="患者拒绝")
    assert item.status == Status.CANCELLED
    assert not Patient.objects.visible_to(centre.resident).filter(pk=personas.patient.pk).exists()


def test_an_exam_is_not_scheduled_in_the_past(personas, centre):
    item = order(personas, "CT-CHEST")
    with pytest.raises(ValidationError, match="in the past"):
        actions.do_schedule_exam(
            actor=centre.resident,
            order=item,
            scheduled_at=timezone.now() - datetime.timedelta(hours=1),
        )
    with pytest.raises(ValidationError, match="Give a time"):
        actions.do_schedule_exam(actor=centre.resident, order=item, scheduled_at=None)
    item.refresh_from_db()
    assert item.status == Status.REQUESTED and item.scheduled_at is None
    # A time picked "now" to the minute is a moment old when it arrives: still accepted.
    just_now = timezone.now().replace(second=0, microsecond=0)
    actions.do_schedule_exam(actor=centre.resident, order=item, scheduled_at=just_now)
    assert item.scheduled_at == just_now
