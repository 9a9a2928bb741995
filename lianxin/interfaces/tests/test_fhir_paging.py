"""Searchset paging (total, self/next/previous, _count, _offset), constant query counts, and a
second source registered on an existing type."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.interfaces.fhir.registry import register_resource, unregister_source
from lianxin.interfaces.fhir.resources.practitioner import (
    organization_param,
    practitioner_param,
    practitioner_role,
)
from lianxin.interfaces.tests.fhir_helpers import entry_ids, fhir_get, link
from lianxin.network.models import Department
from lianxin.testing.factories import (
    DepartmentFactory,
    InstitutionFactory,
    PatientFactory,
    PractitionerFactory,
    add_member,
    register_at,
)
from lianxin.workforce.models import Specialty

pytestmark = pytest.mark.django_db


def _patients(personas, count):
    for _ in range(count):
        register_at(PatientFactory(), personas.township_a)


def _query(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_pages_link_to_each_other_and_cover_every_row_once(personas):
    _patients(personas, 11)  # 12 with the persona patient
    client = personas.client("doctor")
    first = fhir_get(client, "/fhir/Patient", {"_count": "5", "gender": "male"})
    assert first.data_json["total"] == 12 and len(first.data_json["entry"]) == 5
    assert _query(link(first, "self")) == {"gender": "male", "_count": "5", "_offset": "0"}
    assert link(first, "previous") is None
    seen = entry_ids(first)
    page = first
    while link(page, "next"):
        page = fhir_get(client, link(page, "next"))
        seen += entry_ids(page)
    assert len(seen) == 12 and len(set(seen)) == 12
    assert _query(link(page, "self"))["_offset"] == "10"
    assert _query(link(page, "previous"))["_offset"] == "5"


def test_count_defaults_to_50_is_capped_at_200_and_zero_gives_only_the_total(personas):
    _patients(personas, 55)
    client = personas.client("doctor")
    default = fhir_get(client, "/fhir/Patient")
    assert len(default.data_json["entry"]) == 50 and default.data_json["total"] == 56
    capped = fhir_get(client, "/fhir/Patient", {"_count": "1000"})
    assert len(capped.data_json["entry"]) == 56
    assert _query(link(capped, "self"))["_count"] == "200"
    only_total = fhir_get(client, "/fhir/Patient", {"_count": "0"})
    assert only_total.data_json["total"] == 56 and "entry" not in only_total.data_json
    past_the_end = fhir_get(client, "/fhir/Patient", {"_offset": "100"})
    assert past_the_end.status_code == 200 and "entry" not in past_the_end.data_json


def _queries(client, path, params):
    with CaptureQueriesContext(connection) as captured:
        response = fhir_get(client, path, params)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize("path", ["/fhir/Patient", "/fhir/Organization", "/fhir/Location"])
def test_a_search_costs_the_same_queries_for_1_and_20_results(personas, path):
    client = personas.client("doctor")
    fhir_get(client, path)  # warm-up: the first audit row creates the chain head
    one, response = _queries(client, path, {"_count": "1"})
    assert len(response.data_json["entry"]) == 1
    for n in range(20):
        institution = InstitutionFactory(parent=personas.township_a if n % 2 else None)
        add_member(personas.community_a, institution)
        DepartmentFactory(institution=institution)
        patient = PatientFactory()
        register_at(patient, personas.township_a)
        register_at(patient, institution)
    twenty, response = _queries(client, path, {"_count": "20"})
    assert len(response.data_json["entry"]) == 20
    assert twenty == one


@pytest.mark.parametrize("path", ["/fhir/Practitioner", "/fhir/PractitionerRole"])
def test_practitioner_searches_cost_the_same_queries_for_1_and_20_results(personas, path):
    client = personas.client("doctor")
    one, _ = _queries(client, path, {"_count": "1"})
    specialties = list(Specialty.objects.all()[:3])
    for _ in range(20):
        practitioner = PractitionerFactory(
            institution=personas.county_a,
            department=DepartmentFactory(institution=personas.county_a),
        )
        practitioner.specialties.add(*specialties)
    twenty, response = _queries(client, path, {"_count": "20"})
    assert len(response.data_json["entry"]) == 20
    assert twenty == one


@pytest.fixture
def posting_source():
    """A stand-in for the outreach app's postings: a department's first practitioner stationed
    there for a period, as a second source of PractitionerRole."""

    def to_fhir(department, context):
        return practitioner_role(
            id=department.external_id,
            practitioner=department.practitioners.all()[0],
            institution=department.institution,
            department=department,
            period=(datetime.date(2025, 3, 1), datetime.date(2025, 8, 31)),
        )

    register_resource(
        "PractitionerRole",
        source="test_posting",
        queryset=lambda: (
            Department.objects.filter(practitioners__isnull=False)
            .distinct()
            .select_related("institution")
            .prefetch_related("practitioners")
        ),
        to_fhir=to_fhir,
        search_params=[
            practitioner_param("practitioners"),
            organization_param("institution", "pk__in"),
        ],
    )
    yield
    unregister_source("PractitionerRole", "test_posting")


def test_another_source_adds_roles_that_read_search_and_page_with_the_primary_posts(
    personas, posting_source
):
    client = personas.client("doctor")
    dept = personas.department_a
    posting = fhir_get(client, f"/fhir/PractitionerRole/{dept.external_id}")
    assert posting.status_code == 200
    assert posting.data_json["period"] == {"start": "2025-03-01", "end": "2025-08-31"}
    everything = fhir_get(client, "/fhir/PractitionerRole")
    assert everything.data_json["total"] == 2  # 王医生's primary post and the posting
    pages = [
        fhir_get(client, "/fhir/PractitionerRole", {"_count": "1", "_offset": str(i)})
        for i in (0, 1)
    ]
    assert [entry_ids(p) for p in pages] == [[i] for i in entry_ids(everything)]
    # specialty is not answered by the stand-in source: it can match no posting there.
    by_specialty = fhir_get(client, "/fhir/PractitionerRole", {"specialty": "02"})
    assert by_specialty.data_json["total"] == 0
    statement = fhir_get(client, "/fhir/metadata").data_json
    role = next(r for r in statement["rest"][0]["resource"] if r["type"] == "PractitionerRole")
    assert {p["name"] for p in role["searchParam"]} >= {"practitioner", "organization", "specialty"}
