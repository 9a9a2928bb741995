"""Who may use the FHIR façade: metadata is public, everything else needs a session or a token,
rows outside the user's scope are 404, and every error is an OperationOutcome."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from lianxin.interfaces.tests.fhir_helpers import FHIR_JSON, entry_ids, fhir_get, issue_code
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db


def test_metadata_is_public_and_lists_every_type_with_its_search_parameters(client):
    response = fhir_get(client, "/fhir/metadata")
    assert response.status_code == 200
    statement = response.data_json
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    resources = {item["type"]: item for item in statement["rest"][0]["resource"]}
    assert set(resources) >= {
        "Organization",
        "Location",
        "Practitioner",
        "PractitionerRole",
        "Patient",
    }
    for item in resources.values():
        assert [i["code"] for i in item["interaction"]] == ["read", "search-type"]
    params = {t: {p["name"] for p in item["searchParam"]} for t, item in resources.items()}
    assert params["Patient"] >= {"_id", "identifier", "name", "birthdate", "gender", "phone"}
    assert params["Patient"] >= {"telecom"}
    assert params["Organization"] >= {"_id", "name", "identifier", "type", "partof"}
    assert params["Location"] >= {"_id", "name", "organization"}
    assert params["Practitioner"] >= {"_id", "name", "identifier"}
    assert params["PractitionerRole"] >= {"practitioner", "organization", "specialty"}


@pytest.mark.parametrize(
    "path", ["/fhir/Patient", "/fhir/Organization", "/fhir/Patient/not-a-uuid", "/fhir/Nope"]
)
def test_anonymous_clients_get_401_with_an_operation_outcome(client, path):
    response = fhir_get(client, path)
    assert response.status_code == 401
    assert issue_code(response) == "login"
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_authenticates_and_a_wrong_token_is_401(personas):
    token = Token.objects.create(user=personas.doctor)
    client = Client()
    ok = fhir_get(client, "/fhir/Patient", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ok.status_code == 200
    assert entry_ids(ok) == [str(personas.patient.external_id)]
    bad = fhir_get(client, "/fhir/Patient", HTTP_AUTHORIZATION="Token wrong")
    assert bad.status_code == 401 and issue_code(bad) == "login"


def test_a_colleague_at_the_same_institution_reads_the_patient(personas):
    response = fhir_get(
        personas.client("colleague"), f"/fhir/Patient/{personas.patient.external_id}"
    )
    assert response.status_code == 200
    assert response.data_json["id"] == str(personas.patient.external_id)


def test_another_countys_patient_is_a_404_not_a_403(personas):
    response = fhir_get(
        personas.client("outsider"), f"/fhir/Patient/{personas.patient.external_id}"
    )
    assert response.status_code == 404 and issue_code(response) == "not-found"
    search = fhir_get(personas.client("outsider"), "/fhir/Patient")
    assert search.data_json["total"] == 0


def test_an_unregistered_outsider_patient_stays_hidden_from_the_doctor(personas):
    elsewhere = PatientFactory(name="李四")
    register_at(elsewhere, personas.county_b)
    client = personas.client("doctor")
    assert fhir_get(client, f"/fhir/Patient/{elsewhere.external_id}").status_code == 404
    assert str(elsewhere.external_id) not in entry_ids(fhir_get(client, "/fhir/Patient"))


def test_the_health_commission_gets_no_patient_rows_but_sees_the_registry(personas):
    client = personas.client("commission")
    search = fhir_get(client, "/fhir/Patient")
    assert search.status_code == 200
    assert search.data_json["total"] == 0 and "entry" not in search.data_json
    read = fhir_get(client, f"/fhir/Patient/{personas.patient.external_id}")
    assert read.status_code == 404
    org = fhir_get(client, f"/fhir/Organization/{personas.township_a.external_id}")
    assert org.status_code == 200


def test_another_communitys_institution_is_a_404(personas):
    client = personas.client("doctor")
    response = fhir_get(client, f"/fhir/Organization/{personas.county_b.external_id}")
    assert response.status_code == 404
    location = fhir_get(client, f"/fhir/Location/{personas.county_b.external_id}")
    assert location.status_code == 404


def test_unknown_types_and_ids_are_404_and_malformed_ids_400(personas):
    client = personas.client("doctor")
    assert issue_code(fhir_get(client, "/fhir/Spaceship")) == "not-found"
    assert fhir_get(client, "/fhir/Spaceship/abc").status_code == 404
    assert fhir_get(client, "/fhir/Patient/no-such-patient").status_code == 404
    assert fhir_get(client, f"/fhir/Patient/{'x' * 65}").status_code == 400
    assert fhir_get(client, "/fhir/Patient/a_b").status_code == 400


def test_writes_are_405_and_other_formats_406(personas):
    client = personas.client("doctor")
    response = client.post("/fhir/Patient", {}, content_type="application/fhir+json")
    assert response.status_code == 405 and response["Content-Type"] == FHIR_JSON
    assert fhir_get(client, "/fhir/Patient", {"_format": "xml"}).status_code == 406
    assert fhir_get(client, "/fhir/Patient", {"_format": "json"}).status_code == 200
    ok = fhir_get(client, "/fhir/metadata", {"_format": "application/fhir+json"})
    assert ok.status_code == 200


def test_the_client_may_ask_for_fhir_json_in_the_accept_header(personas):
    client = personas.client("doctor")
    response = fhir_get(client, "/fhir/Patient", HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/fhir/Patient", {"name": "\x00"}),
        ("/fhir/Patient", {"identifier": "|"}),
        ("/fhir/Patient", {"identifier": "urn:lianxin:institution:|x"}),
        ("/fhir/Patient", {"identifier": "a" * 5000}),
        ("/fhir/Patient", {"_offset": "9" * 30}),
        ("/fhir/Patient", {"_count": "9" * 30}),
        ("/fhir/Patient", {"_count": "1e3"}),
        ("/fhir/Patient", {"birthdate": "0000-01-01"}),
        ("/fhir/Patient", {"birthdate": "ge"}),
        ("/fhir/Patient", {"_id": ","}),
        ("/fhir/Patient", {"telecom": "phone|"}),
        ("/fhir/Organization", {"partof": "Organization/"}),
        ("/fhir/Organization", {"partof": "Organization/Organization/x"}),
        ("/fhir/PractitionerRole", {"specialty": "|"}),
        ("/fhir/Patient/%00", {}),
        ("/fhir/%00", {}),
    ],
)
def test_odd_input_is_answered_with_a_4xx_or_a_result_never_a_500(personas, path, params):
    response = fhir_get(personas.client("doctor"), path, params)
    assert response.status_code in {200, 400, 404}
    if response.status_code != 200:
        assert response.data_json["resourceType"] == "OperationOutcome"
