"""The referrals API: the loop over HTTP, clear 4xx for bad input, scope and query counts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.core.workflow import Status
from lianxin.referrals.actions import do_create_referral, do_publish_slots
from lianxin.referrals.models import Referral

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(personas, cardiology, **extra):
    body = {
        "patient": str(personas.patient.external_id),
        "direction": "up",
        "performer_institution": str(personas.county_a.external_id),
        "performer_department": str(cardiology.external_id),
        "diagnosis_code": "I20.0",
        "diagnosis_text": "不稳定型心绞痛",
        "reason": "胸痛反复发作",
    }
    body.update(extra)
    return body


def test_the_whole_up_loop_over_http(personas, cardiology, head, tomorrow_9):
    slot = do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=20, count=1
    )[0]
    doctor, specialist = _api(personas.doctor), _api(personas.specialist)
    created = doctor.post("/api/referrals/", _body(personas, cardiology), format="json")
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    free = specialist.get(
        "/api/slots/", {"department": str(cardiology.external_id), "free": "true"}
    )
    assert [s["id"] for s in free.json()["results"]] == [str(slot.external_id)]
    accepted = specialist.post(
        f"/api/referrals/{rid}/accept/",
        {"slot": str(slot.external_id), "version": created.json()["version"]},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["slot"]["id"] == str(slot.external_id)
    assert specialist.post(f"/api/referrals/{rid}/arrive/").status_code == 200
    done = specialist.post(
        f"/api/referrals/{rid}/complete/", {"outcome_summary": "好转出院"}, format="json"
    )
    assert done.json()["status"] == Status.COMPLETED
    steps = [h["name"] for h in done.json()["history"]]
    assert steps == ["create", "accept_direct", "start", "complete"]
    sent = doctor.get("/api/referrals/", {"box": "sent", "status": "completed"})
    assert sent.json()["count"] == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"patient": "00000000-0000-0000-0000-000000000000"}, "patient"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"direction": "sideways"}, "direction"),
        ({"diagnosis_code": "x1"}, "diagnosis_code"),
        ({"reason": ""}, "reason"),
        (
            {"follow_ups": [{"description": "复诊", "due_on": "2020-01-01"}], "direction": "up"},
            "follow_ups",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(personas, cardiology, extra, field):
    response = _api(personas.doctor).post(
        "/api/referrals/", _body(personas, cardiology, **extra), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Referral.objects.exists()


def _referral(personas, cardiology):
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=cardiology,
        reason="胸痛",
        diagnosis_text="胸痛待查",
    )


def test_a_step_not_allowed_now_is_a_400_and_a_stale_version_a_409(personas, cardiology):
    referral = _referral(personas, cardiology)
    specialist = _api(personas.specialist)
    early = specialist.post(f"/api/referrals/{referral.external_id}/arrive/")
    assert early.status_code == 400 and "Requested" in early.json()["detail"]
    stale = specialist.post(
        f"/api/referrals/{referral.external_id}/accept/", {"version": 99}, format="json"
    )
    assert stale.status_code == 409
    no_reason = specialist.post(
        f"/api/referrals/{referral.external_id}/reject/", {"reason": ""}, format="json"
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    referral.refresh_from_db()
    assert referral.status == Status.REQUESTED and referral.version == 1


def test_the_referring_side_cannot_accept_over_http(personas, cardiology):
    referral = _referral(personas, cardiology)
    response = _api(personas.doctor).post(f"/api/referrals/{referral.external_id}/accept/")
    assert response.status_code == 403


def test_a_slot_in_the_past_is_a_400(personas, cardiology, head):
    soon = timezone.now() + datetime.timedelta(minutes=30)
    response = _api(head).post(
        "/api/slots/",
        {
            "department": str(cardiology.external_id),
            "starts_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            "minutes": 20,
            "count": 2,
        },
        format="json",
    )
    assert response.status_code == 400 and "starts_at" in response.json()
    ok = _api(head).post(
        "/api/slots/",
        {
            "department": str(cardiology.external_id),
            "starts_at": soon.isoformat(),
            "minutes": 20,
            "count": 2,
        },
        format="json",
    )
    assert ok.status_code == 201 and len(ok.json()) == 2


@pytest.mark.parametrize("who", ["outsider", "commission"])
def test_outsiders_and_the_commission_do_not_see_referrals(personas, cardiology, who):
    referral = _referral(personas, cardiology)
    client = _api(getattr(personas, who))
    assert client.get(f"/api/referrals/{referral.external_id}/").status_code == 404
    assert client.get("/api/referrals/").json()["count"] == 0
    assert client.post(f"/api/referrals/{referral.external_id}/accept/").status_code == 404


def test_the_list_runs_a_constant_number_of_queries(
    personas, cardiology, django_assert_max_num_queries
):
    client = _api(personas.specialist)
    _referral(personas, cardiology)
    client.get("/api/referrals/")
    with django_assert_max_num_queries(15) as first:
        client.get("/api/referrals/", {"box": "incoming"})
    for _n in range(20):
        _referral(personas, cardiology)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get("/api/referrals/", {"box": "incoming"})
    assert response.json()["count"] == 21


def test_a_consultation_over_http_from_invitation_to_rating(personas, cardiology):
    doctor, specialist = _api(personas.doctor), _api(personas.specialist)
    created = doctor.post(
        "/api/consultations/",
        {
            "patient": str(personas.patient.external_id),
            "invitees": [
                {
                    "institution": str(personas.county_a.external_id),
                    "department": str(cardiology.external_id),
                }
            ],
            "question": "心电图 ST 段改变，是否需要上转？",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    when = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    assert (
        specialist.post(
            f"/api/consultations/{cid}/accept/", {"scheduled_at": when}, format="json"
        ).status_code
        == 200
    )
    signed = specialist.post(
        f"/api/consultations/{cid}/sign/", {"opinion": "建议上转行冠脉造影"}, format="json"
    )
    assert signed.json()["status"] == Status.COMPLETED
    bad = doctor.post(f"/api/consultations/{cid}/rate/", {"rating": 9}, format="json")
    assert bad.status_code == 400
    rated = doctor.post(f"/api/consultations/{cid}/rate/", {"rating": 5}, format="json")
    assert rated.json()["rating"] == 5
