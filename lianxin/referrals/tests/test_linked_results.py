"""Results of the network linked to a referral: the referring doctor picks among the patient's
signed results they read in the network, the referral page lists them with a link, and both
sides of the referral open them through it. A result the doctor does not see is "Not found." on
the page and the API alike; another patient's result is refused; the outsider gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.core.audit import AuditEvent
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.tests.conftest import catalogue, centre  # noqa: F401 (fixtures)
from lianxin.diagnostics.tests.helpers import reported
from lianxin.referrals.models import Referral, ReferralResult
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db

IMPRESSION = "胸部CT未见明显异常"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(personas, cardiology, **extra) -> dict:
    return {
        "direction": "up",
        "requester_institution": str(personas.township_a.external_id),
        "performer_institution": str(personas.county_a.external_id),
        "performer_department": str(cardiology.external_id),
        "diagnosis_text": "不稳定型心绞痛",
        "reason": "胸痛反复发作",
        **extra,
    }


def _create_page(personas, user=None):
    client = personas.client(None)
    client.force_login(user or personas.doctor)
    return client, reverse("referrals:create") + f"?patient={personas.patient.external_id}"


@pytest.fixture
def result(personas, centre):  # noqa: F811
    return reported(personas, centre)


def _elsewhere(personas, order: ExamOrder) -> ExamOrder:
    """The same kind of result, of a patient of the other county that the doctor cannot see."""
    other = PatientFactory(name="王五")
    register_at(other, personas.county_b)
    ExamOrder.objects.filter(pk=order.pk).update(
        patient=other,
        requester_institution=personas.county_b,
        performer_institution=personas.county_b,
        centre_institution=personas.county_b,
    )
    return order


def test_the_form_offers_the_patients_signed_results(personas, cardiology, result):
    client, url = _create_page(personas)
    page = client.get(url).content.decode()
    assert str(result.external_id) in page and result.exam.name in page


def test_a_linked_result_is_listed_on_the_referral_and_both_sides_open_it(
    personas, cardiology, result
):
    client, url = _create_page(personas)
    body = _body(personas, cardiology, linked_results=[str(result.external_id)])
    response = client.post(url, body)
    assert response.status_code == 302, response.context["form"].errors
    referral = Referral.objects.get()
    link = ReferralResult.objects.get(referral=referral)
    assert link.order == result and link.linked_by == personas.doctor
    assert AuditEvent.objects.filter(
        action="referrals.referral.link_results", target_id=str(referral.external_id)
    ).exists()
    result_url = reverse(
        "referrals:linked-result",
        kwargs={"id": referral.external_id, "result_id": link.external_id},
    )
    detail = client.get(reverse("referrals:detail", kwargs={"id": referral.external_id}))
    assert result_url in detail.content.decode()
    for who in ("doctor", "specialist"):
        page = personas.client(who).get(result_url)
        assert page.status_code == 200 and IMPRESSION in page.content.decode(), who
    assert personas.client("outsider").get(result_url).status_code == 404
    # A result id the referral does not link is not found through it.
    other = reverse(
        "referrals:linked-result",
        kwargs={"id": referral.external_id, "result_id": result.external_id},
    )
    assert personas.client("specialist").get(other).status_code == 404


def test_the_api_links_the_same_and_reads_them_in_the_referral(personas, cardiology, result):
    body = {
        **_body(personas, cardiology, linked_results=[str(result.external_id)]),
        "patient": str(personas.patient.external_id),
    }
    created = _api(personas.doctor).post("/api/referrals/", body, format="json")
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    for user in (personas.doctor, personas.specialist):
        read = _api(user).get(f"/api/referrals/{rid}/")
        assert read.status_code == 200
        (linked,) = read.json()["linked_results"]
        assert linked["order"] == str(result.external_id)
        assert linked["accession_number"] == result.accession_number
    assert _api(personas.outsider).get(f"/api/referrals/{rid}/").status_code == 404


@pytest.mark.parametrize("case", ["not visible", "malformed", "another patient"])
def test_a_bad_link_gives_the_same_error_on_the_page_and_the_api(
    personas, cardiology, result, case
):
    if case == "not visible":
        value = str(_elsewhere(personas, result).external_id)
        expected = "Not found."
    elif case == "malformed":
        value = "xyz"
        expected = "Not found."
    else:
        # A patient the doctor sees, but not the one referred.
        other = PatientFactory(name="赵六")
        register_at(other, personas.township_a)
        ExamOrder.objects.filter(pk=result.pk).update(patient=other)
        value = str(result.external_id)
        expected = "This result is another patient's."
    client, url = _create_page(personas)
    on_page = client.post(url, _body(personas, cardiology, linked_results=[value]))
    api_body = {
        **_body(personas, cardiology, linked_results=[value]),
        "patient": str(personas.patient.external_id),
    }
    on_api = _api(personas.doctor).post("/api/referrals/", api_body, format="json")
    assert on_page.status_code == 200 and on_api.status_code == 400, on_api.content
    page_errors = on_page.context["form"].errors["linked_results"]
    assert page_errors == on_api.json()["linked_results"] == [expected]
    assert not Referral.objects.exists()
    if case == "not visible":
        # Nothing of the hidden result is shown back.
        assert "王五" not in on_page.content.decode()


def test_the_form_does_not_offer_results_the_doctor_cannot_see(personas, cardiology, result):
    _elsewhere(personas, result)
    client, url = _create_page(personas)
    assert str(result.external_id) not in client.get(url).content.decode()
