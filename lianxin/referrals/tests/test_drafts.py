"""A draft referral (e.g. the down-referral proposed at discharge) belongs to the referring side
until it is sent: the receiving side neither lists nor opens it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.core.workflow import Status
from lianxin.referrals.actions import do_create_referral, do_submit_referral
from lianxin.referrals.actions.referrals import PlanItem
from lianxin.referrals.models import Referral
from lianxin.testing.factories import register_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(personas, cardiology):
    register_at(personas.patient, personas.county_a)
    return do_create_referral(
        actor=personas.specialist,
        patient=personas.patient,
        direction="down",
        performer_institution=personas.township_a,
        reason="出院后继续管理",
        diagnosis_text="高血压",
        draft=True,
    )


def test_the_receiving_side_does_not_see_a_draft(personas, draft):
    assert draft.status == Status.DRAFT
    assert not Referral.objects.visible_to(personas.doctor).filter(pk=draft.pk).exists()
    doctor = personas.client("doctor")
    url = reverse("referrals:detail", kwargs={"id": draft.external_id})
    assert doctor.get(url).status_code == 404
    assert (
        str(draft.external_id)
        not in doctor.get(reverse("referrals:incoming") + "?status=").content.decode()
    )
    api = doctor.get("/api/referrals/?box=incoming").json()
    assert all(row["id"] != str(draft.external_id) for row in api["results"])
    # Its author lists and opens it.
    specialist = personas.client("specialist")
    assert specialist.get(url).status_code == 200
    sent = specialist.get(reverse("referrals:sent") + "?status=draft").content.decode()
    assert str(draft.external_id) in sent


def test_once_sent_the_receiving_side_sees_it(personas, draft):
    due = timezone.localdate() + datetime.timedelta(days=14)
    do_submit_referral(
        actor=personas.specialist,
        referral=draft,
        follow_ups=[PlanItem("visit", "两周后复诊测血压", due)],
    )
    assert Referral.objects.visible_to(personas.doctor).filter(pk=draft.pk).exists()
    url = reverse("referrals:detail", kwargs={"id": draft.external_id})
    assert personas.client("doctor").get(url).status_code == 200
