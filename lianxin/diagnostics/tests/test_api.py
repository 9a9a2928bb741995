"""The API: every step an action endpoint, bad input a clear 4xx with nothing changed, scope
by institution, bounded queries on lists."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lianxin.core.workflow import Status
from lianxin.diagnostics.models import CriticalResult, ExamOrder, Report
from lianxin.diagnostics.tests.helpers import claimed, order, performed, reported

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_site_orders_and_the_centre_reads_through_the_api(personas, centre):
    response = _api(personas.doctor).post(
        "/api/exam-orders/",
        {"patient": str(personas.patient.external_id), "exam": "ELEC", "priority": "urgent"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["accession_number"].startswith("LB") and data["status"] == "requested"
    base = f"/api/exam-orders/{data['id']}/"
    resident, attending = _api(centre.resident), _api(centre.attending)
    assert resident.post(base + "perform/", {}, format="json").status_code == 200
    # A report on an unclaimed study: 409, nothing written.
    draft = {"impression": "低钾", "values": [{"analyte": "K", "value": "3.1", "unit": "mmol/L"}]}
    assert resident.post(base + "draft/", draft, format="json").status_code == 409
    assert not Report.objects.exists()
    assert resident.post(base + "claim/", {}, format="json").status_code == 200
    assert attending.post(base + "claim/", {}, format="json").status_code == 409
    wrong = {**draft, "values": [{"analyte": "K", "value": "3.1", "unit": "mg/dL"}]}
    assert resident.post(base + "draft/", wrong, format="json").status_code == 400
    assert not Report.objects.exists()
    assert resident.post(base + "draft/", draft, format="json").status_code == 200
    assert resident.post(base + "sign/", {}, format="json").status_code == 403
    signed = attending.post(base + "sign/", {}, format="json")
    assert signed.status_code == 200 and signed.json()["status"] == "completed"
    assert signed.json()["reports"][0]["values"][0]["unit"] == "mmol/L"
    amend = {"reason": "", "impression": "x"}
    assert attending.post(base + "amend/", amend, format="json").status_code == 400
    assert Report.objects.count() == 1


def test_other_institutions_get_404_and_the_commission_no_rows(personas, centre):
    item = order(personas)
    url = f"/api/exam-orders/{item.external_id}/"
    assert _api(personas.outsider).get(url).status_code == 404
    assert _api(personas.outsider).post(url + "claim/", {}).status_code == 404
    assert _api(personas.commission).get("/api/exam-orders/").json()["results"] == []
    assert APIClient().get("/api/exam-orders/").status_code in {401, 403}


def test_the_worklist_endpoint_orders_and_counts_queries(
    personas, centre, django_assert_max_num_queries
):
    for code in ("CT-CHEST", "DR-CHEST", "CT-HEAD"):
        performed(personas, centre, code)
    urgent = performed(personas, centre, "US-ABD", priority="urgent")
    client = _api(centre.attending)
    client.get("/api/exam-orders/?box=worklist")
    with django_assert_max_num_queries(6):
        response = client.get("/api/exam-orders/?box=worklist&status=in-progress&claimed=false")
    rows = response.json()["results"]
    assert len(rows) == 4 and rows[0]["id"] == str(urgent.external_id)
    assert len(client.get("/api/exam-orders/?box=worklist&modality=CT").json()["results"]) == 2


def test_acknowledging_without_read_back_is_a_400(personas, centre):
    item = claimed(personas, centre)
    result_id = (
        _api(centre.resident)
        .post(f"/api/exam-orders/{item.external_id}/critical/", {"finding": "气胸"}, format="json")
        .json()["id"]
    )
    result = CriticalResult.objects.get(order=item)
    url = f"/api/critical-results/{result.external_id}/acknowledge/"
    assert result_id == str(item.external_id)
    doctor = _api(personas.doctor)
    assert doctor.post(url, {"read_back": ""}, format="json").status_code == 400
    assert doctor.post(url, {"read_back": "收到"}, format="json").status_code == 400
    assert CriticalResult.objects.get(pk=result.pk).status == Status.REQUESTED
    assert _api(personas.outsider).post(url, {"read_back": "气胸"}).status_code == 404
    ok = doctor.post(url, {"read_back": "气胸"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "completed"


def test_prior_results_and_recognition_through_the_api(personas, centre):
    item = reported(personas, centre)
    doctor = _api(personas.doctor)
    query = f"/api/recognitions/?patient={personas.patient.external_id}&exam=CT-CHEST"
    priors = doctor.get(query).json()
    assert [p["accession_number"] for p in priors] == [item.accession_number]
    created = doctor.post(
        "/api/recognitions/",
        {
            "patient": str(personas.patient.external_id),
            "exam": "CT-CHEST",
            "prior_report": priors[0]["id"],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["decision"] == "recognised"
    again = doctor.post(
        "/api/exam-orders/",
        {"patient": str(personas.patient.external_id), "exam": "CT-CHEST"},
        format="json",
    )
    assert again.status_code == 400 and "retest_reason" in again.json().get("errors", again.json())
    assert ExamOrder.objects.count() == 1
    assert _api(personas.outsider).get(query).status_code in {400, 403}


def test_the_critical_results_list_is_scoped_and_bounded(
    personas, centre, django_assert_max_num_queries
):
    from lianxin.diagnostics import actions

    for code in ("CT-CHEST", "CT-HEAD", "DR-CHEST"):
        item = claimed(personas, centre, code)
        actions.do_raise_critical_result(actor=centre.resident, order=item, finding="气胸")
    client = _api(personas.doctor)
    client.get("/api/critical-results/")
    with django_assert_max_num_queries(6):
        rows = client.get("/api/critical-results/").json()["results"]
    assert len(rows) == 3
    assert _api(personas.outsider).get("/api/critical-results/").json()["results"] == []
    assert _api(personas.commission).get("/api/critical-results/").json()["results"] == []


def test_the_centre_schedules_an_order_for_a_time_to_come_through_the_api(personas, centre):
    import datetime

    from django.utils import timezone

    item = order(personas)
    url = f"/api/exam-orders/{item.external_id}/schedule/"
    past = (timezone.now() - datetime.timedelta(hours=2)).isoformat()
    response = _api(centre.resident).post(url, {"scheduled_at": past}, format="json")
    assert response.status_code == 400 and "in the past" in str(response.json())
    assert (
        _api(centre.resident).post(url, {"scheduled_at": "soon"}, format="json").status_code == 400
    )
    item.refresh_from_db()
    assert item.status == Status.REQUESTED and item.scheduled_at is None
    when = timezone.now() + datetime.timedelta(days=2)
    assert _api(personas.outsider).post(url, {"scheduled_at": when.isoformat()}).status_code == 404
    response = _api(centre.resident).post(url, {"scheduled_at": when.isoformat()}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["business_status"] == "scheduled"
    item.refresh_from_db()
    assert item.scheduled_at == when
