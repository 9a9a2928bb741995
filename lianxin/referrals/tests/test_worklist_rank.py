"""The worklists' order: the stored rank (open emergencies, open urgent, other open, closed), then
the soonest due, then the newest — the same in the pages and the API, and the rank follows every
change of status."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from lianxin.referrals.actions import (
    do_accept_referral,
    do_cancel_referral,
    do_complete_referral,
    do_create_referral,
    do_record_arrival,
    do_reject_referral,
)
from lianxin.referrals.models import Referral
from lianxin.testing.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def _refer(personas, department, urgency: str) -> Referral:
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=department,
        urgency=urgency,
        reason="胸痛反复发作，需冠脉评估",
        diagnosis_code="I20.0",
        diagnosis_text="不稳定型心绞痛",
    )


def _api_ids(user, **params) -> list[str]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/referrals/", params)
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def _page_ids(user, path: str) -> list[str]:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return [str(item.external_id) for item in response.context["page"].object_list]


def _ranks(*referrals: Referral) -> list[int]:
    ranks = dict(Referral.objects.values_list("pk", "worklist_rank"))
    return [ranks[r.pk] for r in referrals]


def _ids(*referrals: Referral) -> list[str]:
    return [str(r.external_id) for r in referrals]


def test_the_lists_show_open_emergencies_then_urgent_then_routine_then_closed_items(
    personas, cardiology
):
    routine = _refer(personas, cardiology, "routine")
    emergency = _refer(personas, cardiology, "emergency")
    urgent = _refer(personas, cardiology, "urgent")
    rejected = _refer(personas, cardiology, "emergency")
    later_routine = _refer(personas, cardiology, "routine")
    cancelled = _refer(personas, cardiology, "urgent")
    do_reject_referral(actor=personas.specialist, referral=rejected, reason="本院无床位")
    do_cancel_referral(actor=personas.doctor, referral=cancelled, reason="患者拒绝转诊")

    assert _ranks(emergency, urgent, routine, later_routine, rejected, cancelled) == [
        0,
        1,
        2,
        2,
        3,
        3,
    ]
    # Within a rank the soonest due comes first (the older routine referral), and closed items,
    # which are due at no time, newest first.
    expected = _ids(emergency, urgent, routine, later_routine, cancelled, rejected)
    assert _api_ids(personas.specialist, box="incoming") == expected
    assert _api_ids(personas.doctor, box="sent") == expected
    assert _page_ids(personas.specialist, "/referrals/?mine=1&status=") == expected
    assert _page_ids(personas.doctor, "/referrals/sent/?status=") == expected
    assert _page_ids(personas.specialist, "/referrals/") == expected[:4]


def test_the_rank_follows_the_status_through_the_loop(personas, cardiology):
    routine = _refer(personas, cardiology, "routine")
    emergency = _refer(personas, cardiology, "emergency")
    assert _ranks(emergency, routine) == [0, 2]
    assert _api_ids(personas.specialist, box="incoming") == _ids(emergency, routine)

    do_accept_referral(actor=personas.specialist, referral=emergency, department=cardiology)
    do_record_arrival(actor=personas.specialist, referral=emergency)
    assert _ranks(emergency) == [0]  # accepted, then in progress: still open, still first

    do_complete_referral(
        actor=personas.specialist,
        referral=emergency,
        outcome_summary="PCI 术后好转出院",
        propose_down=False,
    )
    assert _ranks(emergency, routine) == [3, 2]
    assert _api_ids(personas.specialist, box="incoming") == _ids(routine, emergency)
    assert _api_ids(personas.specialist, box="incoming", status="open") == _ids(routine)


def test_the_department_filter_keeps_the_order_and_an_unknown_department_lists_nothing(
    personas, cardiology
):
    neurology = DepartmentFactory(institution=personas.county_a, name="神经内科", code="NEUR")
    routine = _refer(personas, cardiology, "routine")
    _refer(personas, neurology, "emergency")
    urgent = _refer(personas, cardiology, "urgent")
    unassigned = _refer(personas, None, "emergency")

    assert _api_ids(personas.specialist, box="incoming", department=cardiology.external_id) == (
        _ids(urgent, routine)
    )
    assert (
        _api_ids(
            personas.specialist, box="incoming", department="00000000-0000-0000-0000-000000000000"
        )
        == []
    )
    # "Mine" is the specialist's department and what was addressed to no department.
    assert _page_ids(personas.specialist, "/referrals/?mine=1") == _ids(unassigned, urgent, routine)
