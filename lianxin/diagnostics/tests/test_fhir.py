"""Orders, reports, values and studies on the FHIR façade; every answer re-validated with the
fhir.resources R4B models; scope by institution."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class

from lianxin.diagnostics import actions
from lianxin.diagnostics.models import ResultValue
from lianxin.diagnostics.tests.helpers import reported

pytestmark = pytest.mark.django_db


def _get(client, path: str, status: int = 200) -> dict:
    response = client.get(path, HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == status, response.content[:300]
    data = json.loads(response.content)
    get_fhir_model_class(data["resourceType"]).model_validate_json(response.content)
    return data


def test_an_order_is_a_service_request_with_its_accession_number(personas, centre):
    item = reported(personas, centre)
    data = _get(personas.client("doctor"), f"/fhir/ServiceRequest/{item.external_id}")
    assert data["status"] == "completed" and data["code"]["coding"][0]["code"] == "CT-CHEST"
    assert data["identifier"][0]["value"] == item.accession_number
    _get(personas.client("outsider"), f"/fhir/ServiceRequest/{item.external_id}", 404)
    search = _get(
        personas.client("doctor"), f"/fhir/ServiceRequest?patient={personas.patient.external_id}"
    )
    assert str(item.external_id) in [e["resource"]["id"] for e in search.get("entry", [])]


def test_reports_values_and_studies_validate(personas, centre):
    lab = reported(personas, centre, "ELEC", values=[actions.Value("K", "6.8", "mmol/L")])
    report = lab.reports.get()
    client = personas.client("doctor")
    data = _get(client, f"/fhir/DiagnosticReport/{report.external_id}")
    assert data["status"] == "final" and data["conclusion"] == report.impression
    value = ResultValue.objects.get(report=report)
    obs = _get(client, f"/fhir/Observation/{value.external_id}")
    assert (
        obs["valueQuantity"]["code"] == "mmol/L"
        and obs["interpretation"][0]["coding"][0]["code"] == "AA"
    )
    amended = actions.do_amend_report(
        actor=centre.attending,
        order=lab,
        reason="复核",
        impression="高钾血症",
        values=[actions.Value("K", "6.7", "mmol/L")],
    )
    assert _get(client, f"/fhir/DiagnosticReport/{amended.external_id}")["status"] == "amended"
    assert _get(client, f"/fhir/DiagnosticReport/{report.external_id}")["status"] == "final"
    ct = reported(personas, centre, "CT-CHEST")
    study = _get(client, f"/fhir/ImagingStudy/{ct.external_id}")
    assert study["numberOfInstances"] == 120 and study["modality"][0]["code"] == "CT"
    _get(personas.client("outsider"), f"/fhir/DiagnosticReport/{report.external_id}", 404)
    _get(personas.client("outsider"), f"/fhir/Observation/{value.external_id}", 404)
