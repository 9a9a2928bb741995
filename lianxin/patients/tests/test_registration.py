"""Registering patients: validation, one patient per ID number, each institution's MRN, audit."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from lianxin.core.errors import NotAllowed
from lianxin.core.idnumber import make_id_number
from lianxin.core.models import AuditEvent
from lianxin.patients.actions import do_register_patient, do_update_patient
from lianxin.patients.models import Patient, PatientIdentifier

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1972, 3, 9)
ID_MALE = make_id_number("350426", BIRTH, 123)  # odd order code: male


def _register(personas, institution=None, actor=None, **fields):
    data = {
        "name": "李四",
        "sex": "",
        "birth_date": None,
        "id_number": ID_MALE,
        "phone": "13905981234",
        "address": "福建省三明市尤溪县西城镇",
    }
    data.update(fields)
    return do_register_patient(
        actor=actor or personas.doctor, institution=institution or personas.township_a, **data
    )


def test_it_reads_birth_date_and_sex_from_the_id_number(personas):
    patient, created = _register(personas)
    assert created
    assert patient.birth_date == BIRTH and patient.sex == "1"
    assert patient.name_initials == "LS"
    assert patient.division_code == "350426"
    mrn = PatientIdentifier.objects.get(patient=patient)
    assert mrn.institution == personas.township_a and mrn.value.startswith(personas.township_a.code)


def test_registering_a_known_id_number_finds_the_patient_and_adds_the_record_number(personas):
    first, _ = _register(personas)
    second, created = _register(
        personas, institution=personas.county_a, actor=_county_clerk(personas), mrn="ZY-778"
    )
    assert not created and second.pk == first.pk
    assert Patient.objects.filter(id_number=ID_MALE).count() == 1
    values = set(first.identifiers.values_list("institution__name", "value"))
    assert (personas.county_a.name, "ZY-778") in values
    assert AuditEvent.objects.filter(action="patient.identifier.add").count() == 1


def _county_clerk(personas):
    from lianxin.testing.factories import MembershipFactory

    MembershipFactory(user=personas.specialist, institution=personas.county_a, role="nurse")
    from lianxin.core.access import forget_access

    forget_access(personas.specialist)
    return personas.specialist


def test_an_old_15_digit_number_is_upgraded(personas):
    old = "350426720309123"
    patient, _ = _register(personas, id_number=old)
    assert patient.id_number == make_id_number("350426", BIRTH, 123)


@pytest.mark.parametrize(
    ("id_number", "fragment"),
    [
        (ID_MALE[:-1] + ("0" if ID_MALE[-1] != "0" else "1"), "check character"),
        ("35042619720230123X", "not a real date"),
        ("99042619720309123X", "not a province"),
        ("3504261972", "18 characters"),
    ],
)
def test_an_invalid_id_number_is_refused_with_a_message_and_nothing_is_written(
    personas, id_number, fragment
):
    before = (Patient.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        _register(personas, id_number=id_number)
    assert fragment in " ".join(info.value.message_dict["id_number"])
    assert (Patient.objects.count(), AuditEvent.objects.count()) == before


def test_a_birth_date_or_sex_that_contradicts_the_id_number_is_refused(personas):
    with pytest.raises(ValidationError) as info:
        _register(personas, birth_date=datetime.date(1972, 3, 10), sex="2")
    assert set(info.value.message_dict) == {"birth_date", "sex"}


def test_a_bad_phone_is_refused_and_a_landline_is_normalised(personas):
    with pytest.raises(ValidationError) as info:
        _register(personas, phone="12345")
    assert "phone" in info.value.message_dict
    patient, _ = _register(personas, phone="0598 6123456")
    assert patient.phone == "0598-6123456"


def test_a_patient_without_id_number_needs_a_birth_date(personas):
    with pytest.raises(ValidationError) as info:
        _register(personas, id_number="")
    assert "birth_date" in info.value.message_dict
    patient, created = _register(personas, id_number="", birth_date=BIRTH, sex="2")
    assert created and patient.id_number is None


def test_a_user_without_the_right_cannot_register_at_another_institution(personas):
    with pytest.raises(NotAllowed):
        _register(personas, institution=personas.county_b)
    with pytest.raises(NotAllowed):
        _register(personas, actor=personas.commission, institution=personas.commission_body)


def test_registration_writes_an_audit_row_without_the_id_number_in_clear(personas):
    patient, _ = _register(personas)
    event = AuditEvent.objects.get(action="patient.register")
    assert event.target_id == str(patient.external_id)
    assert event.after["id_number"] == ID_MALE[:3] + "*" * 11 + ID_MALE[-4:]
    assert ID_MALE not in str(event.after)


def test_two_patients_cannot_share_an_id_number_after_an_edit(personas):
    _register(personas)
    other_id = make_id_number("350426", BIRTH, 125)
    second, _ = _register(personas, id_number=other_id, name="王五")
    with pytest.raises(ValidationError) as info:
        do_update_patient(actor=personas.doctor, patient=second, id_number=ID_MALE)
    assert "id_number" in info.value.message_dict
    second.refresh_from_db()
    assert second.id_number == other_id


def test_an_edit_is_audited_with_before_and_after(personas):
    patient, _ = _register(personas)
    do_update_patient(actor=personas.doctor, patient=patient, phone="13800000000")
    event = AuditEvent.objects.get(action="patient.update")
    assert event.before == {"phone": "13905981234"} and event.after == {"phone": "13800000000"}


def test_only_a_registering_institution_edits_demographics(personas):
    patient, _ = _register(personas)
    with pytest.raises(NotAllowed):
        do_update_patient(actor=personas.outsider, patient=patient, phone="13800000000")
