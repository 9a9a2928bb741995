"""Patient read and search: the mapping, the identifier systems, the search parameters, the
read audit and the masking of ID numbers in result lists."""

from __future__ import annotations

import datetime

import pytest

from lianxin.core.idnumber import make_id_number
from lianxin.core.models import AuditEvent
from lianxin.interfaces.fhir import rules
from lianxin.interfaces.tests.fhir_helpers import entry_ids, fhir_get, issue_code
from lianxin.patients.models import Sex
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db

RESIDENT_ID = "urn:oid:2.16.156.10011.1.3"


@pytest.fixture
def doctor(personas):
    return personas.client("doctor")


def _patient(personas, **fields):
    patient = PatientFactory(**fields)
    register_at(patient, personas.township_a)
    return patient


def _search(client, **params):
    response = fhir_get(client, "/fhir/Patient", params)
    assert response.status_code == 200, response.content
    assert response.data_json["type"] == "searchset"
    return response


def test_a_read_returns_the_full_record_with_both_identifier_systems(personas, doctor):
    patient = personas.patient
    patient.deceased_on = datetime.date(2024, 3, 1)
    patient.save()
    response = fhir_get(doctor, f"/fhir/Patient/{patient.external_id}")
    assert response.status_code == 200
    body = response.data_json
    assert body["resourceType"] == "Patient" and body["id"] == str(patient.external_id)
    assert body["name"][0]["text"] == "张三"
    assert body["gender"] == "male"
    assert body["birthDate"] == patient.birth_date.isoformat()
    assert body["deceasedDateTime"] == "2024-03-01"
    assert body["telecom"] == [{"system": "phone", "value": patient.phone}]
    assert body["address"][0]["text"] == patient.address
    by_system = {item["system"]: item for item in body["identifier"]}
    assert by_system[RESIDENT_ID]["value"] == patient.id_number
    assert by_system[RESIDENT_ID]["type"]["coding"][0]["code"] == "NNCHN"
    mrn_system = f"urn:lianxin:institution:{personas.township_a.code}:mrn"
    assert by_system[mrn_system]["value"] == f"MRN{patient.pk:08d}"
    assert by_system[mrn_system]["assigner"]["reference"] == (
        f"Organization/{personas.township_a.external_id}"
    )
    assert "meta" not in body


def test_a_read_writes_one_read_audit_row_on_the_fhir_channel(personas, doctor):
    before = AuditEvent.objects.filter(action="patient.read").count()
    fhir_get(doctor, f"/fhir/Patient/{personas.patient.external_id}")
    rows = AuditEvent.objects.filter(action="patient.read").order_by("seq")
    assert rows.count() == before + 1
    last = rows.last()
    assert last.after == {"channel": "fhir"}
    assert last.actor == personas.doctor
    assert last.target_id == str(personas.patient.external_id)


def test_a_404_read_writes_no_audit_row(personas):
    before = AuditEvent.objects.count()
    fhir_get(personas.client("outsider"), f"/fhir/Patient/{personas.patient.external_id}")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("sex", "gender"),
    [
        (Sex.MALE, "male"),
        (Sex.FEMALE, "female"),
        (Sex.UNKNOWN, "unknown"),
        (Sex.UNSPECIFIED, "unknown"),
    ],
)
def test_gb_t_2261_sex_codes_become_administrative_genders(personas, doctor, sex, gender):
    patient = _patient(personas, sex=sex)
    response = fhir_get(doctor, f"/fhir/Patient/{patient.external_id}")
    assert response.data_json["gender"] == gender


def test_search_entries_mask_the_id_number_and_say_they_are_redacted(personas, doctor):
    response = _search(doctor)
    resource = response.data_json["entry"][0]["resource"]
    official = next(i for i in resource["identifier"] if i["system"] == RESIDENT_ID)
    assert official["value"] == personas.patient.masked_id_number
    assert personas.patient.id_number not in response.content.decode()
    assert resource["meta"]["security"][0]["code"] == "REDACTED"
    entry = response.data_json["entry"][0]
    assert entry["fullUrl"] == f"http://testserver/fhir/Patient/{personas.patient.external_id}"
    assert entry["search"] == {"mode": "match"}


def test_the_id_number_search_matches_exactly_and_only_exactly(personas, doctor):
    number = personas.patient.id_number
    other = _patient(personas)
    found = _search(doctor, identifier=f"{RESIDENT_ID}|{number}")
    assert entry_ids(found) == [str(personas.patient.external_id)]
    assert found.data_json["total"] == 1
    assert _search(doctor, identifier=number).data_json["total"] == 1
    assert _search(doctor, identifier=f"{RESIDENT_ID}|{number[:-1]}").data_json["total"] == 0
    assert _search(doctor, identifier=f"{RESIDENT_ID}|{number[:6]}").data_json["total"] == 0
    assert str(other.external_id) not in entry_ids(found)


def test_a_lower_case_x_in_the_id_number_still_matches(personas, doctor):
    number = next(
        n
        for order in range(1, 400)
        if (n := make_id_number("350426", datetime.date(1970, 1, 2), order)).endswith("X")
    )
    patient = _patient(personas, id_number=number, birth_date=datetime.date(1970, 1, 2))
    found = _search(doctor, identifier=f"{RESIDENT_ID}|{number.lower()}")
    assert entry_ids(found) == [str(patient.external_id)]


def test_record_numbers_search_in_their_institutions_system(personas, doctor):
    code = personas.township_a.code
    mrn = f"MRN{personas.patient.pk:08d}"
    system = rules.record_number_system(code, "mrn")
    assert _search(doctor, identifier=f"{system}|{mrn}").data_json["total"] == 1
    assert _search(doctor, identifier=mrn).data_json["total"] == 1
    wrong = rules.record_number_system(personas.county_a.code, "mrn")
    assert _search(doctor, identifier=f"{wrong}|{mrn}").data_json["total"] == 0
    assert _search(doctor, identifier=f"http://example.org/other|{mrn}").data_json["total"] == 0


def test_name_search_matches_a_part_of_the_name(personas, doctor):
    wang = _patient(personas, name="王小明")
    _patient(personas, name="李雷")
    assert entry_ids(_search(doctor, name="小明")) == [str(wang.external_id)]
    assert _search(doctor, **{"name:exact": "王小"}).data_json["total"] == 0
    assert _search(doctor, **{"name:exact": "王小明"}).data_json["total"] == 1


def test_birthdate_search_understands_eq_ge_and_le(personas, doctor):
    old = _patient(personas, birth_date=datetime.date(1940, 2, 3))
    young = _patient(personas, birth_date=datetime.date(2001, 8, 9))
    assert entry_ids(_search(doctor, birthdate="1940-02-03")) == [str(old.external_id)]
    assert entry_ids(_search(doctor, birthdate="eq1940-02-03")) == [str(old.external_id)]
    assert entry_ids(_search(doctor, birthdate="ge2000-01-01")) == [str(young.external_id)]
    early = set(entry_ids(_search(doctor, birthdate="le1960-12-31")))
    assert str(old.external_id) in early and str(young.external_id) not in early
    assert entry_ids(_search(doctor, birthdate="2001")) == [str(young.external_id)]
    both = fhir_get(doctor, "/fhir/Patient?birthdate=ge1941&birthdate=le2001-08-09")
    assert str(young.external_id) in entry_ids(both)
    assert str(old.external_id) not in entry_ids(both)


def test_gender_phone_and_telecom_searches(personas, doctor):
    woman = _patient(personas, sex=Sex.FEMALE, phone="13912345678")
    assert entry_ids(_search(doctor, gender="female")) == [str(woman.external_id)]
    assert str(woman.external_id) not in entry_ids(_search(doctor, gender="male"))
    assert entry_ids(_search(doctor, phone="13912345678")) == [str(woman.external_id)]
    assert entry_ids(_search(doctor, phone="+86 139 1234 5678")) == [str(woman.external_id)]
    assert entry_ids(_search(doctor, telecom="phone|13912345678")) == [str(woman.external_id)]
    assert _search(doctor, telecom="email|13912345678").data_json["total"] == 0
    assert _search(doctor, phone="1391234").data_json["total"] == 0


def test_comma_separated_values_are_alternatives(personas, doctor):
    a = _patient(personas, name="甲")
    b = _patient(personas, name="乙")
    found = set(entry_ids(_search(doctor, _id=f"{a.external_id},{b.external_id}")))
    assert found == {str(a.external_id), str(b.external_id)}


@pytest.mark.parametrize(
    "params",
    [
        {"birthdate": "1960-13-01"},
        {"birthdate": "yesterday"},
        {"birthdate": "ap1960"},
        {"gender": "robot"},
        {"_id": "not-a-uuid"},
        {"_count": "many"},
        {"_count": "-1"},
        {"_offset": "-5"},
        {"name:soundex": "张"},
        {"name": ""},
    ],
)
def test_bad_search_values_are_400_operation_outcomes(personas, doctor, params):
    response = fhir_get(doctor, "/fhir/Patient", params)
    assert response.status_code == 400
    assert issue_code(response) == "invalid"


def test_unknown_parameters_are_rejected_unless_the_client_asks_for_leniency(personas, doctor):
    strict = fhir_get(doctor, "/fhir/Patient", {"favourite_colour": "blue"})
    assert strict.status_code == 400 and issue_code(strict) == "not-supported"
    assert "favourite_colour" in strict.data_json["issue"][0]["diagnostics"]
    lenient = fhir_get(
        doctor, "/fhir/Patient", {"favourite_colour": "blue"}, HTTP_PREFER="handling=lenient"
    )
    assert lenient.status_code == 200 and lenient.data_json["total"] == 1
    assert "favourite_colour" not in lenient.data_json["link"][0]["url"]


def test_a_search_writes_one_audit_row_listing_the_ids_but_not_the_id_number(personas, doctor):
    number = personas.patient.id_number
    before = AuditEvent.objects.filter(action="patient.search").count()
    _search(doctor, identifier=f"{RESIDENT_ID}|{number}")
    rows = AuditEvent.objects.filter(action="patient.search")
    assert rows.count() == before + 1
    row = rows.order_by("seq").last()
    assert row.after["ids"] == [str(personas.patient.external_id)]
    assert row.after["criteria"] == ["identifier"]
    assert number not in str(row.after)


def test_a_search_that_finds_nobody_writes_no_audit_row(personas):
    before = AuditEvent.objects.count()
    _search(personas.client("commission"))
    assert AuditEvent.objects.count() == before
