"""Search, masking and who sees which patient, on the pages and in the API."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from lianxin.core.idnumber import make_id_number
from lianxin.core.models import AuditEvent
from lianxin.patients.actions import do_break_glass
from lianxin.patients.models import CareRelationship, Patient
from lianxin.patients.pinyin import name_initials
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db


def _patient(personas, name, phone, institution=None, order=201):
    patient = PatientFactory(
        name=name,
        name_initials=name_initials(name),
        phone=phone,
        id_number=make_id_number("350426", datetime.date(1980, 1, 2), order),
    )
    register_at(patient, institution or personas.township_a)
    return patient


@pytest.mark.parametrize(
    "query", ["欧阳", "OYX", "oyx", "13912340001", "1391234", "35042619800102201x"]
)
def test_a_patient_is_found_by_name_initials_phone_or_id_number(personas, query):
    wanted = _patient(personas, "欧阳修", "13912340001", order=201)
    _patient(personas, "司马光", "13700000000", order=203)
    assert wanted.id_number == "35042619800102201X"
    response = personas.client("doctor").post(reverse("patients:search"), {"q": query})
    names = [p.name for p in response.context["page"].object_list]
    assert names == ["欧阳修"]


def test_id_numbers_are_masked_in_lists_and_shown_on_the_patient_page(personas):
    patient = personas.patient
    client = personas.client("doctor")
    listing = client.get(reverse("patients:search")).content.decode()
    assert patient.id_number not in listing
    assert patient.masked_id_number in listing
    page = client.get(reverse("patients:detail", kwargs={"id": patient.external_id}))
    assert patient.id_number in page.content.decode()


def test_opening_a_patient_page_writes_a_read_audit_row(personas):
    personas.client("doctor").get(
        reverse("patients:detail", kwargs={"id": personas.patient.external_id})
    )
    event = AuditEvent.objects.get(action="patient.read")
    assert event.actor == personas.doctor
    assert event.target_id == str(personas.patient.external_id)
    assert event.after == {"channel": "web"}


@pytest.mark.parametrize("who", ["outsider", "specialist"])
def test_another_institution_gets_404_on_the_patient_page_and_api(personas, who):
    client = personas.client(who)
    page = client.get(reverse("patients:detail", kwargs={"id": personas.patient.external_id}))
    assert page.status_code == 404
    api = client.get(f"/api/patients/{personas.patient.external_id}/")
    assert api.status_code == 404
    listing = client.get("/api/patients/").json()
    assert listing["count"] == 0


def test_a_colleague_of_the_same_institution_sees_the_patient(personas):
    client = personas.client("colleague")
    assert client.get(f"/api/patients/{personas.patient.external_id}/").status_code == 200


def test_a_care_relationship_opens_the_record_to_the_receiving_institution(personas):
    CareRelationship.objects.create(
        patient=personas.patient, institution=personas.county_a, reason="上转"
    )
    client = personas.client("specialist")
    assert client.get(f"/api/patients/{personas.patient.external_id}/").status_code == 200


def test_the_health_commission_never_sees_a_patient_row(personas):
    client = personas.client("commission")
    assert client.get(reverse("patients:search")).status_code == 403
    assert client.get("/api/patients/").json()["count"] == 0
    detail = client.get(reverse("patients:detail", kwargs={"id": personas.patient.external_id}))
    assert detail.status_code == 404


def test_anonymous_callers_get_401_from_the_api(personas):
    from django.test import Client

    assert Client().get("/api/patients/").status_code in {401, 403}


def test_break_glass_needs_a_reason_and_opens_the_record_for_a_limited_time(personas):
    client = personas.client("outsider")
    url = reverse("patients:break-glass")
    refused = client.post(
        url,
        {"id_number": personas.patient.id_number, "institution": personas.county_b.external_id},
    )
    assert refused.status_code == 200 and refused.context["form"].errors
    granted = client.post(
        url,
        {
            "id_number": personas.patient.id_number,
            "institution": personas.county_b.external_id,
            "reason": "车祸昏迷，急诊抢救",
        },
    )
    assert granted.status_code == 302
    assert Patient.objects.visible_to(personas.outsider).filter(pk=personas.patient.pk).exists()
    event = AuditEvent.objects.get(action="patient.break_glass")
    assert event.after["reason"] == "车祸昏迷，急诊抢救"


def test_break_glass_expires(personas, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC), tick=False)
    do_break_glass(
        actor=personas.outsider,
        patient=personas.patient,
        institution=personas.county_b,
        reason="抢救",
    )
    assert Patient.objects.visible_to(personas.outsider).count() == 1
    time_machine.shift(datetime.timedelta(hours=5))
    assert Patient.objects.visible_to(personas.outsider).count() == 0


def test_break_glass_finds_only_by_the_exact_id_number(personas):
    response = personas.client("outsider").post(
        reverse("patients:break-glass"),
        {"id_number": "张三", "institution": personas.county_b.external_id, "reason": "x"},
    )
    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors


def test_an_id_number_never_travels_in_a_url_and_a_search_page_is_audited_as_a_read(personas):
    wanted = _patient(personas, "欧阳修", "13912340001", order=201)
    client = personas.client("doctor")

    in_url = client.get(reverse("patients:search"), {"q": wanted.id_number})
    assert in_url.status_code == 302  # refused: typed into the box it is posted instead
    posted = client.post(reverse("patients:search"), {"q": wanted.id_number})
    assert [p.name for p in posted.context["page"].object_list] == ["欧阳修"]

    event = AuditEvent.objects.get(action="patient.list")
    assert event.actor == personas.doctor
    assert event.after == {
        "channel": "web",
        "search": "id_number",
        "patients": [str(wanted.external_id)],
    }
    assert wanted.id_number not in str(event.after)


def test_the_api_refuses_an_id_number_in_the_url_and_searches_it_from_the_body(personas):
    wanted = _patient(personas, "欧阳修", "13912340001", order=201)
    client = personas.client("doctor")

    assert client.get("/api/patients/", {"q": wanted.id_number}).status_code == 400
    found = client.post("/api/patients/search/", {"q": wanted.id_number})
    assert found.status_code == 200
    assert [row["name"] for row in found.json()["results"]] == ["欧阳修"]
    assert AuditEvent.objects.filter(action="patient.list", after__channel="api").count() == 1


def test_an_unknown_api_filter_parameter_is_refused_instead_of_ignored(personas):
    client = personas.client("doctor")
    response = client.get("/api/patients/", {"search": "欧阳"})
    assert response.status_code == 400
    assert "search" in response.json()
    assert client.get("/api/patients/", {"q": "欧阳", "sex": "1", "page": 1}).status_code == 200
