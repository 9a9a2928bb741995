import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from lianxin.core.access import forget_access
from lianxin.network.models import Capability
from lianxin.testing.factories import PractitionerFactory
from lianxin.workforce.models import Credential, Specialty

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


def _queries(client, url) -> int:
    forget_access(client.handler._force_user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_practitioners_of_the_community_are_listed_and_others_are_not(personas):
    PractitionerFactory(name="县医院医生", institution=personas.county_a)
    PractitionerFactory(name="大田医生", institution=personas.county_b)
    names = _names(api(personas.doctor).get("/api/practitioners/"))
    assert {"王医生", "县医院医生"} <= names
    assert "大田医生" not in names


def test_another_communitys_practitioner_is_a_404(personas):
    other = PractitionerFactory(institution=personas.county_b)
    assert api(personas.doctor).get(f"/api/practitioners/{other.external_id}/").status_code == 404
    assert api(personas.outsider).get(f"/api/practitioners/{other.external_id}/").status_code == 200


def test_anonymous_callers_are_refused(personas):
    assert api().get("/api/practitioners/").status_code in {401, 403}
    assert api().get("/api/specialties/").status_code in {401, 403}


def test_practitioners_filter_by_title_specialty_department_and_text(personas):
    cardio = PractitionerFactory(name="心内李", institution=personas.county_a, title="chief")
    cardio.specialties.add(Specialty.objects.get(code="03.04"))
    client = api(personas.doctor)
    assert _names(client.get("/api/practitioners/?title=chief")) == {"心内李"}
    assert _names(client.get("/api/practitioners/?specialty=03.04")) == {"心内李"}
    assert _names(client.get("/api/practitioners/?q=心血管")) == {"心内李"}
    dept = personas.department_a.external_id
    assert _names(client.get(f"/api/practitioners/?department={dept}")) == {"王医生"}
    inst = personas.county_a.external_id
    assert _names(client.get(f"/api/practitioners/?institution={inst}")) == {"心内李"}


def test_the_practitioner_detail_lists_credentials(personas):
    doc = PractitionerFactory(institution=personas.county_a)
    Credential.objects.create(
        practitioner=doc,
        capability=Capability.objects.get(code="pci"),
        granted_on=datetime.date(2024, 1, 1),
    )
    body = api(personas.doctor).get(f"/api/practitioners/{doc.external_id}/").json()
    assert body["credentials"][0]["procedure"] == "pci"
    assert body["institution_name"] == personas.county_a.name


def test_the_practitioner_list_keeps_a_constant_query_count(personas):
    client = api(personas.doctor)
    before = _queries(client, "/api/practitioners/")
    specialty = Specialty.objects.get(code="02")
    for _ in range(20):
        PractitionerFactory(
            institution=personas.township_a, department=personas.department_a
        ).specialties.add(specialty)
    assert _queries(client, "/api/practitioners/") == before
    assert _queries(client, "/api/specialties/") <= before


def test_an_admin_registers_a_practitioner_through_the_api(personas):
    payload = {
        "institution": str(personas.township_a.external_id),
        "name": "赵护士",
        "title": "nurse",
        "profession": "nurse",
        "licence_number": "N-001",
        "specialties": ["02"],
        "department": str(personas.department_a.external_id),
    }
    response = api(personas.admin).post("/api/practitioners/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["specialties"] == [{"code": "02", "name": "全科医疗科"}]
    again = api(personas.admin).post("/api/practitioners/", payload, format="json")
    assert again.status_code == 400 and "licence_number" in again.json()
    assert (
        api(personas.doctor).post("/api/practitioners/", payload, format="json").status_code == 403
    )
    outsider = api(personas.outsider).post("/api/practitioners/", payload, format="json")
    assert outsider.status_code == 404


def test_the_specialty_catalogue_is_listed(personas):
    body = api(personas.commission).get("/api/specialties/03.04/").json()
    assert body["name"] == "心血管内科专业"
