"""The patients API: field errors as 400, registration through the same action, query counts."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lianxin.core.idnumber import make_id_number
from lianxin.patients.models import Patient
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db

VALID = make_id_number("350426", datetime.date(1990, 7, 1), 42)  # even: female


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_registering_through_the_api_returns_201_then_200_for_the_same_person(personas):
    client = _client(personas.doctor)
    body = {"name": "陈丽", "id_number": VALID, "phone": "13600000001"}
    first = client.post("/api/patients/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["sex"] == "2" and first.json()["birth_date"] == "1990-07-01"
    again = client.post("/api/patients/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def test_a_bad_id_number_is_a_400_with_the_field_error_and_nothing_written(personas):
    before = Patient.objects.count()
    response = _client(personas.doctor).post(
        "/api/patients/", {"name": "陈丽", "id_number": VALID[:-1] + "Y"}, format="json"
    )
    assert response.status_code == 400
    assert "id_number" in response.json()
    assert Patient.objects.count() == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "id_number": VALID},
        {"name": "陈丽", "birth_date": "1990-02-30"},
        {"name": "陈丽", "id_number": VALID, "sex": "X"},
        {"name": "陈丽", "id_number": VALID, "institution": "not-a-uuid"},
        {"name": "陈丽" * 30, "id_number": VALID},
    ],
)
def test_malformed_input_is_a_400_never_a_500(personas, body):
    response = _client(personas.doctor).post("/api/patients/", body, format="json")
    assert response.status_code == 400, response.content


def test_registering_at_an_institution_outside_ones_scope_is_refused(personas):
    response = _client(personas.doctor).post(
        "/api/patients/",
        {"name": "陈丽", "id_number": VALID, "institution": str(personas.county_b.external_id)},
        format="json",
    )
    assert response.status_code in {403, 404}
    assert not Patient.objects.filter(id_number=VALID).exists()


def test_the_commission_cannot_register_patients(personas):
    response = _client(personas.commission).post(
        "/api/patients/", {"name": "陈丽", "id_number": VALID}, format="json"
    )
    assert response.status_code == 403


def test_token_authentication_works(personas):
    token = Token.objects.create(user=personas.doctor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/patients/")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_the_list_masks_id_numbers_and_the_detail_shows_them(personas):
    client = _client(personas.doctor)
    row = client.get("/api/patients/").json()["results"][0]
    assert "*" in row["id_number"]
    detail = client.get(f"/api/patients/{row['id']}/").json()
    assert detail["id_number"] == personas.patient.id_number


def test_an_update_with_a_bad_value_is_a_400(personas):
    response = _client(personas.doctor).patch(
        f"/api/patients/{personas.patient.external_id}/", {"phone": "999"}, format="json"
    )
    assert response.status_code == 400 and "phone" in response.json()


def _add_patients(personas, n):
    for i in range(n):
        patient = PatientFactory(
            id_number=make_id_number("350426", datetime.date(1950, 1, 1), 300 + i)
        )
        register_at(patient, personas.township_a)


def test_the_list_runs_a_constant_number_of_queries(personas, django_assert_max_num_queries):
    client = _client(personas.doctor)
    client.get("/api/patients/")  # warm the access cache paths
    with django_assert_max_num_queries(12) as small:
        client.get("/api/patients/")
    _add_patients(personas, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/patients/")
    assert response.json()["count"] == 26
