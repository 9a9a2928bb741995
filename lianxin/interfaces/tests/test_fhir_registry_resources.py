"""Organization, Location, Practitioner and PractitionerRole: read, search and the mapping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lianxin.interfaces.fhir import rules
from lianxin.interfaces.tests.fhir_helpers import entry_ids, fhir_get, issue_code
from lianxin.network.models import Tier
from lianxin.testing.factories import (
    DepartmentFactory,
    InstitutionFactory,
    PractitionerFactory,
    add_member,
)
from lianxin.workforce.models import Practitioner, Specialty, Title

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(personas):
    return personas.client("doctor")


def _ok(client, path, params=None):
    response = fhir_get(client, path, params)
    assert response.status_code == 200, response.content
    return response


def test_an_institution_reads_as_an_organization_with_tier_code_and_part_of(personas, doctor):
    village = personas.village_a
    body = _ok(doctor, f"/fhir/Organization/{village.external_id}").data_json
    assert body["name"] == village.name
    assert body["identifier"][0] == {
        "use": "official",
        "system": rules.INSTITUTION_CODE.uri,
        "value": village.code,
    }
    codes = {t["coding"][0]["system"]: t["coding"][0]["code"] for t in body["type"]}
    assert codes == {rules.ORGANIZATION_TYPE.uri: "prov", rules.INSTITUTION_TIER.uri: "village"}
    # Its supervising township centre, not the community lead.
    assert body["partOf"]["reference"] == f"Organization/{personas.township_a.external_id}"


def test_a_member_without_supervisor_is_part_of_its_communitys_lead(personas, doctor):
    body = _ok(doctor, f"/fhir/Organization/{personas.township_a.external_id}").data_json
    assert body["partOf"]["reference"] == f"Organization/{personas.county_a.external_id}"
    lead = _ok(doctor, f"/fhir/Organization/{personas.county_a.external_id}").data_json
    assert "partOf" not in lead


def test_the_health_commission_is_a_government_organization(personas):
    client = personas.client("commission")
    body = _ok(client, f"/fhir/Organization/{personas.commission_body.external_id}").data_json
    assert body["type"][0]["coding"][0]["code"] == "govt"


def test_a_department_is_an_organization_of_type_dept_part_of_its_institution(personas, doctor):
    dept = personas.department_a
    body = _ok(doctor, f"/fhir/Organization/{dept.external_id}").data_json
    assert body["type"][0]["coding"][0]["code"] == "dept"
    assert body["partOf"]["reference"] == f"Organization/{personas.township_a.external_id}"
    assert body["identifier"][0]["system"] == rules.department_code_system(personas.township_a.code)


def test_organization_searches_by_name_identifier_type_and_partof(personas, doctor):
    a = personas
    assert entry_ids(_ok(doctor, "/fhir/Organization", {"name": "东门村"})) == [
        str(a.village_a.external_id)
    ]
    by_code = _ok(
        doctor,
        "/fhir/Organization",
        {"identifier": f"{rules.INSTITUTION_CODE.uri}|{a.county_a.code}"},
    )
    assert entry_ids(by_code) == [str(a.county_a.external_id)]
    depts = _ok(doctor, "/fhir/Organization", {"type": "dept"})
    assert entry_ids(depts) == [str(a.department_a.external_id)]
    villages = _ok(doctor, "/fhir/Organization", {"type": f"{rules.INSTITUTION_TIER.uri}|village"})
    assert entry_ids(villages) == [str(a.village_a.external_id)]
    under_township = set(
        entry_ids(
            _ok(
                doctor, "/fhir/Organization", {"partof": f"Organization/{a.township_a.external_id}"}
            )
        )
    )
    assert under_township == {str(a.village_a.external_id), str(a.department_a.external_id)}
    under_lead = set(
        entry_ids(_ok(doctor, "/fhir/Organization", {"partof": str(a.county_a.external_id)}))
    )
    assert str(a.township_a.external_id) in under_lead
    assert str(a.village_a.external_id) not in under_lead  # supervised by the township
    assert str(a.county_a.external_id) not in under_lead
    # Out of the doctor's communities: not listed.
    assert str(a.county_b.external_id) not in entry_ids(_ok(doctor, "/fhir/Organization"))


def test_a_partof_reference_to_another_type_is_a_400(personas, doctor):
    response = fhir_get(
        doctor, "/fhir/Organization", {"partof": f"Patient/{personas.county_a.external_id}"}
    )
    assert response.status_code == 400 and issue_code(response) == "invalid"


def test_an_institution_site_reads_as_a_location_with_position(personas, doctor):
    county = personas.county_a
    county.latitude, county.longitude = Decimal("26.170012"), Decimal("118.190345")
    county.address = "福建省三明市尤溪县城关镇水东路1号"
    county.save()
    body = _ok(doctor, f"/fhir/Location/{county.external_id}").data_json
    assert body["position"] == {"latitude": 26.170012, "longitude": 118.190345}
    assert body["address"]["text"] == county.address
    assert body["managingOrganization"]["reference"] == f"Organization/{county.external_id}"
    assert body["physicalType"]["coding"][0]["code"] == "si"
    found = _ok(doctor, "/fhir/Location", {"organization": f"Organization/{county.external_id}"})
    assert entry_ids(found) == [str(county.external_id)]
    assert entry_ids(_ok(doctor, "/fhir/Location", {"name": "尤溪县总"})) == [
        str(county.external_id)
    ]


def test_a_practitioner_has_title_and_licence_as_qualifications(personas, doctor):
    wang = Practitioner.objects.get(name="王医生")
    body = _ok(doctor, f"/fhir/Practitioner/{wang.external_id}").data_json
    assert body["name"][0]["text"] == "王医生" and body["gender"] == "male"
    title, licence = body["qualification"]
    assert title["code"]["coding"][0] == {
        "system": rules.TITLE.uri,
        "code": Title.ATTENDING,
        "display": str(Title.ATTENDING.label),
    }
    assert licence["identifier"][0]["value"] == wang.licence_number
    assert body["identifier"][0]["system"] == rules.PRACTITIONER_LICENCE.uri
    by_licence = _ok(doctor, "/fhir/Practitioner", {"identifier": wang.licence_number})
    assert entry_ids(by_licence) == [str(wang.external_id)]
    assert entry_ids(_ok(doctor, "/fhir/Practitioner", {"name": "王"})) == [str(wang.external_id)]


def test_a_practitioner_of_another_community_is_hidden(personas, doctor):
    far = PractitionerFactory(institution=personas.county_b)
    assert fhir_get(doctor, f"/fhir/Practitioner/{far.external_id}").status_code == 404
    assert fhir_get(doctor, f"/fhir/PractitionerRole/{far.external_id}").status_code == 404


def test_the_primary_post_is_a_practitioner_role(personas, doctor):
    wang = Practitioner.objects.get(name="王医生")
    cardio = Specialty.objects.get(code="03.04")
    wang.specialties.add(cardio)
    body = _ok(doctor, f"/fhir/PractitionerRole/{wang.external_id}").data_json
    assert body["practitioner"]["reference"] == f"Practitioner/{wang.external_id}"
    assert body["organization"]["reference"] == f"Organization/{personas.township_a.external_id}"
    assert body["location"][0]["reference"] == f"Location/{personas.township_a.external_id}"
    assert body["specialty"][0]["coding"][0]["code"] == "03.04"
    assert body["code"][0]["coding"][0]["code"] == "doctor"
    assert body["extension"][0]["valueReference"]["reference"] == (
        f"Organization/{personas.department_a.external_id}"
    )


def test_practitioner_roles_search_by_practitioner_organization_and_specialty(personas, doctor):
    wang = Practitioner.objects.get(name="王医生")
    wang.specialties.add(Specialty.objects.get(code="03.04"))
    other = PractitionerFactory(institution=personas.county_a)
    other.specialties.add(Specialty.objects.get(code="02"))
    search = "/fhir/PractitionerRole"
    assert entry_ids(_ok(doctor, search, {"practitioner": f"Practitioner/{wang.external_id}"})) == [
        str(wang.external_id)
    ]
    by_org = _ok(doctor, search, {"organization": f"Organization/{personas.county_a.external_id}"})
    assert entry_ids(by_org) == [str(other.external_id)]
    by_dept = _ok(doctor, search, {"organization": str(personas.department_a.external_id)})
    assert entry_ids(by_dept) == [str(wang.external_id)]
    cardio = _ok(doctor, search, {"specialty": f"{rules.SPECIALTY.uri}|03.04"})
    assert entry_ids(cardio) == [str(wang.external_id)]
    either = _ok(doctor, search, {"specialty": "03.04,02"})
    assert set(entry_ids(either)) == {str(wang.external_id), str(other.external_id)}
    assert either.data_json["total"] == 2


def test_institutions_of_a_linked_alliance_lead_show_up_for_its_members(personas, doctor):
    tertiary = InstitutionFactory(name="省立医院", tier=Tier.TERTIARY, division_code="350100")
    add_member(personas.community_a, tertiary)
    DepartmentFactory(institution=tertiary, name="心内科", code="CARD")
    found = _ok(doctor, "/fhir/Organization", {"name": "心内科"})
    assert found.data_json["total"] == 1
