"""One way in per action: the page and the API read the same input form, so one table of good
and bad inputs gives the same answer and the same error on both, and the outsider gets 404 on
both (docs/architecture.md, "One way in per action")."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.core.workflow import Status
from lianxin.referrals.actions import do_create_referral, do_publish_slots
from lianxin.referrals.inputs import STEPS
from lianxin.referrals.models import Referral

pytestmark = pytest.mark.django_db

PAST = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
SOON = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _base(personas, cardiology) -> dict:
    return {
        "direction": "up",
        "requester_institution": str(personas.township_a.external_id),
        "performer_institution": str(personas.county_a.external_id),
        "performer_department": str(cardiology.external_id),
        "urgency": "routine",
        "diagnosis_code": "I20.0",
        "diagnosis_text": "不稳定型心绞痛",
        "reason": "胸痛反复发作",
    }


# (case, change to the good input, the field the error is about or None for success)
CREATE_CASES = [
    ("good", {}, None),
    ("no reason", {"reason": ""}, "reason"),
    ("reason over the limit", {"reason": "长" * 4001}, "reason"),
    ("diagnosis code malformed", {"diagnosis_code": "not a code"}, "diagnosis_code"),
    ("unknown direction", {"direction": "sideways"}, "direction"),
    ("receiver in another community", {"performer_institution": "county_b"}, "any"),
    ("receiver id malformed", {"performer_institution": "xyz"}, "performer_institution"),
    ("department of another institution", {"performer_department": "department_a"}, "any"),
    ("down without a care plan", {"direction": "down", "performer_institution": "tw"}, "any"),
    (
        "care-plan item due in the past",
        {
            "direction": "down",
            "performer_institution": "tw",
            "plan_0_description": "复诊",
            "plan_0_due_on": PAST,
        },
        "any",
    ),
]


def _resolve_names(personas, change: dict) -> dict:
    names = {
        "county_b": personas.county_b.external_id,
        "department_a": personas.department_a.external_id,
        "tw": personas.township_a.external_id,
    }
    return {k: str(names.get(v, v)) if isinstance(v, str) else v for k, v in change.items()}


def _messages(errors: dict) -> list[str]:
    return sorted(str(m) for messages in errors.values() for m in messages)


@pytest.mark.parametrize("case,change,field", CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
def test_creating_a_referral_gives_the_same_answer_on_the_page_and_the_api(
    personas, cardiology, case, change, field
):
    body = {**_base(personas, cardiology), **_resolve_names(personas, change)}
    if case.startswith("down") or case.startswith("care-plan"):
        body.pop("performer_department")
        body["requester_institution"] = str(personas.county_a.external_id)
        user = personas.specialist
        from lianxin.testing.factories import register_at

        register_at(personas.patient, personas.county_a)
    else:
        user = personas.doctor
    page = personas.client(None)
    page.force_login(user)
    url = reverse("referrals:create") + f"?patient={personas.patient.external_id}"
    on_page = page.post(url, body)
    api_body = {**body, "patient": str(personas.patient.external_id)}
    if "plan_0_description" in api_body:
        api_body["follow_ups"] = [
            {
                "description": api_body.pop("plan_0_description"),
                "due_on": api_body.pop("plan_0_due_on"),
            }
        ]
    on_api = _api(user).post("/api/referrals/", api_body, format="json")
    if field is None:
        assert on_page.status_code == 302 and on_api.status_code == 201, on_api.content
        made = list(Referral.objects.order_by("pk"))
        assert len(made) == 2
        fields = ("direction", "urgency", "diagnosis_code", "reason", "performer_department_id")
        assert [getattr(made[0], f) for f in fields] == [getattr(made[1], f) for f in fields]
        return
    assert on_page.status_code == 200 and on_api.status_code == 400, on_api.content
    page_errors = on_page.context["form"].errors
    api_errors = on_api.json()
    assert _messages(page_errors) == _messages(api_errors)
    if field != "any":
        assert field in page_errors and field in api_errors
    assert not Referral.objects.exists()


@pytest.fixture
def sent(personas, cardiology):
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=cardiology,
        reason="胸痛",
        diagnosis_text="胸痛待查",
    )


# (step, input, status on the API; the page shows the same message and changes nothing)
STEP_CASES = [
    ("reject", {"reason": ""}, 400),
    ("reject", {"reason": "长" * 2001}, 400),
    ("cancel", {"reason": ""}, 400),
    ("accept", {"version": 99}, 409),
    ("accept", {"slot": "outsider-slot"}, 400),
    ("accept", {"department": "not-a-uuid"}, 400),
    ("complete", {"outcome_summary": ""}, 400),
    ("milestone", {"milestone": "teleport"}, 400),
    ("follow_up", {"item": "00000000-0000-0000-0000-000000000000", "result": "好"}, 400),
    ("arrive", {}, 400),
]


@pytest.mark.parametrize("step,body,api_status", STEP_CASES)
def test_a_bad_step_gives_the_same_error_on_the_page_and_the_api(
    personas, sent, step, body, api_status, tomorrow_9
):
    if body.get("slot") == "outsider-slot":
        from lianxin.testing.factories import DepartmentFactory

        other = DepartmentFactory(institution=personas.county_b, name="心内科", code="C2")
        from lianxin.testing.factories import MembershipFactory, UserFactory

        boss = UserFactory(username="boss_b")
        MembershipFactory(
            user=boss, institution=personas.county_b, department=other, role="department_head"
        )
        slot = do_publish_slots(
            actor=boss, department=other, starts_at=tomorrow_9, minutes=20, count=1
        )[0]
        body = {"slot": str(slot.external_id)}
    user = personas.doctor if step == "cancel" else personas.specialist
    page = personas.client(None)
    page.force_login(user)
    url = reverse(f"referrals:{step}", kwargs={"id": sent.external_id})
    on_page = page.post(url, body)
    assert on_page.status_code == 302
    shown = " ".join(str(m) for m in get_messages(on_page.wsgi_request))
    on_api = _api(user).post(
        f"/api/referrals/{sent.external_id}/{step.replace('_', '-')}/", body, format="json"
    )
    assert on_api.status_code == api_status, on_api.content
    answer = on_api.json()
    said = [answer["detail"]] if "detail" in answer else _messages(answer)
    assert said and all(str(message) in shown for message in said), (said, shown)
    sent.refresh_from_db()
    assert sent.status == Status.REQUESTED and sent.version == 1


@pytest.mark.parametrize("step", sorted(STEPS))
def test_the_outsider_gets_404_for_every_step_on_the_page_and_the_api(personas, sent, step):
    page = personas.client("outsider")
    assert (
        page.post(reverse(f"referrals:{step}", kwargs={"id": sent.external_id})).status_code == 404
    )
    api = _api(personas.outsider)
    path = f"/api/referrals/{sent.external_id}/{step.replace('_', '-')}/"
    assert api.post(path, {}, format="json").status_code == 404
    sent.refresh_from_db()
    assert sent.version == 1


def test_the_outsider_cannot_refer_a_patient_out_of_their_scope(personas, cardiology):
    url = reverse("referrals:create") + f"?patient={personas.patient.external_id}"
    assert personas.client("outsider").get(url).status_code == 404
    body = {**_base(personas, cardiology), "patient": str(personas.patient.external_id)}
    on_api = _api(personas.outsider).post("/api/referrals/", body, format="json")
    assert on_api.status_code == 400 and on_api.json()["patient"] == ["Not found."]
    assert not Referral.objects.exists()
