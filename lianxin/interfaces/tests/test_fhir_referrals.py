"""Referrals and consultations as ServiceRequest + Task, booked slots as Appointment: mapping,
search parameters, scope, audit, errors and query counts. Every answer is re-parsed with the
fhir.resources R4B models (``fhir_get``)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianxin.core.access import forget_access
from lianxin.core.models import AuditEvent
from lianxin.core.workflow import Status
from lianxin.interfaces.fhir.resources.referrals import APPOINTMENT_STATUS_BY_WORKFLOW
from lianxin.interfaces.fhir.resources.workflow import REQUEST_STATUS_BY_WORKFLOW
from lianxin.interfaces.tests.fhir_helpers import entry_ids, fhir_get, issue_code
from lianxin.referrals.actions import (
    do_accept_consultation,
    do_accept_referral,
    do_complete_referral,
    do_create_referral,
    do_publish_slots,
    do_record_arrival,
    do_record_no_show,
    do_reject_referral,
    do_request_consultation,
    do_sign_opinion,
)
from lianxin.referrals.actions.consultations import Invitee
from lianxin.referrals.models import Referral
from lianxin.testing.factories import (
    DepartmentFactory,
    MembershipFactory,
    PatientFactory,
    UserFactory,
    register_at,
)
from lianxin.workforce.models import Practitioner

pytestmark = pytest.mark.django_db

ICD_10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"


# --- Fixtures (as in lianxin/referrals/tests/conftest.py) -------------------------------------


@pytest.fixture
def cardiology(personas):
    department = DepartmentFactory(institution=personas.county_a, name="心血管内科", code="CARD")
    membership = personas.specialist.memberships.get()
    membership.department = department
    membership.save()
    forget_access(personas.specialist)
    Practitioner.objects.create(
        name="李主任",
        title="chief",
        institution=personas.county_a,
        department=department,
        user=personas.specialist,
    )
    return department


@pytest.fixture
def head(personas, cardiology):
    user = UserFactory(username="head")
    MembershipFactory(
        user=user, institution=personas.county_a, department=cardiology, role="department_head"
    )
    return user


@pytest.fixture
def tomorrow_9():
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


@pytest.fixture
def slots(head, cardiology, tomorrow_9):
    return do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=20, count=3
    )


@pytest.fixture
def village_doctor(personas):
    """A clinician in the same community who is no party to the referral."""
    user = UserFactory(username="village")
    MembershipFactory(user=user, institution=personas.village_a, role="clinician")
    return user


def _refer(personas, cardiology, **extra):
    fields = {
        "actor": personas.doctor,
        "patient": personas.patient,
        "direction": "up",
        "performer_institution": personas.county_a,
        "performer_department": cardiology,
        "reason": "胸痛反复发作，需冠脉评估",
        "diagnosis_code": "I20.0",
        "diagnosis_text": "不稳定型心绞痛",
    }
    fields.update(extra)
    return do_create_referral(**fields)


def _consult(personas, cardiology, **extra):
    specialist = Practitioner.objects.get(user=personas.specialist)
    fields = {
        "actor": personas.doctor,
        "patient": personas.patient,
        "invitees": [Invitee(personas.county_a, cardiology, specialist)],
        "question": "心电图 ST 段压低，是否需要转诊？",
        "clinical_summary": "58 岁男性，胸闷 2 周",
    }
    fields.update(extra)
    return do_request_consultation(**fields)


def _read(client, type_name, item):
    response = fhir_get(client, f"/fhir/{type_name}/{item.external_id}")
    assert response.status_code == 200, response.data_json
    return response.data_json


def _codes(concept):
    return {(c["system"], c["code"]) for c in concept["coding"]}


# --- ServiceRequest ---------------------------------------------------------------------------


def test_a_referral_reads_as_a_service_request_with_diagnosis_priority_and_parties(
    personas, cardiology, slots
):
    referral = _refer(personas, cardiology, urgency="emergency")
    do_accept_referral(actor=personas.specialist, referral=referral, slot=slots[0])
    doctor = Practitioner.objects.get(user=personas.doctor)
    resource = _read(personas.client("specialist"), "ServiceRequest", referral)
    assert resource["id"] == str(referral.external_id)
    assert resource["status"] == "active" and resource["intent"] == "order"
    assert (SNOMED, "3457005") in _codes(resource["category"][0])
    assert ("urn:lianxin:referral-direction", "up") in _codes(resource["code"])
    assert resource["priority"] == "stat"
    assert resource["subject"] == {
        "reference": f"Patient/{personas.patient.external_id}",
        "display": "张三",
    }
    assert resource["requester"]["reference"] == f"PractitionerRole/{doctor.external_id}"
    assert [p["reference"] for p in resource["performer"]] == [
        f"Organization/{personas.county_a.external_id}",
        f"Organization/{cardiology.external_id}",
    ]
    assert resource["reasonCode"] == [
        {
            "coding": [{"system": ICD_10, "code": "I20.0", "display": "不稳定型心绞痛"}],
            "text": "不稳定型心绞痛",
        }
    ]
    assert resource["note"][0]["text"] == "胸痛反复发作，需冠脉评估"
    assert resource["authoredOn"].startswith(str(timezone.localdate(referral.created_at))[:4])
    assert resource["occurrencePeriod"]["start"].startswith(slots[0].starts_at.date().isoformat())


def test_a_requester_without_a_practitioner_record_is_the_requesting_institution(
    personas, cardiology
):
    referral = _refer(personas, cardiology, actor=personas.colleague, diagnosis_code="")
    resource = _read(personas.client("doctor"), "ServiceRequest", referral)
    assert resource["requester"]["reference"] == f"Organization/{personas.township_a.external_id}"
    assert resource["reasonCode"] == [{"text": "不稳定型心绞痛"}]
    assert "occurrencePeriod" not in resource


def test_a_consultation_reads_as_a_service_request_with_its_scheduled_time(personas, cardiology):
    consultation = _consult(personas, cardiology, urgency="urgent")
    at = timezone.now() + datetime.timedelta(hours=3)
    do_accept_consultation(actor=personas.specialist, consultation=consultation, scheduled_at=at)
    specialist = Practitioner.objects.get(user=personas.specialist)
    resource = _read(personas.client("doctor"), "ServiceRequest", consultation)
    assert (SNOMED, "11429006") in _codes(resource["category"][0])
    assert ("urn:lianxin:consultation-kind", "remote") in _codes(resource["code"])
    assert resource["priority"] == "urgent" and resource["status"] == "active"
    assert [p["reference"] for p in resource["performer"]] == [
        f"Organization/{personas.county_a.external_id}",
        f"Organization/{cardiology.external_id}",
        f"PractitionerRole/{specialist.external_id}",
    ]
    assert [n["text"] for n in resource["note"]] == [
        "心电图 ST 段压低，是否需要转诊？",
        "58 岁男性，胸闷 2 周",
    ]
    assert "occurrenceDateTime" in resource and "reasonCode" not in resource


def test_reading_a_service_request_or_task_writes_the_patient_read_audit(personas, cardiology):
    referral = _refer(personas, cardiology)
    for type_name in ("ServiceRequest", "Task"):
        _read(personas.client("specialist"), type_name, referral)
    reads = AuditEvent.objects.filter(action="patient.read", actor=personas.specialist)
    assert reads.count() == 2
    assert {event.after["channel"] for event in reads} == {"fhir"}
    assert {event.target_id for event in reads} == {str(personas.patient.external_id)}


def test_a_search_page_writes_one_search_audit_row_with_the_patients(personas, cardiology):
    _refer(personas, cardiology)
    _consult(personas, cardiology)
    response = fhir_get(
        personas.client("doctor"),
        "/fhir/ServiceRequest",
        {"patient": str(personas.patient.external_id)},
    )
    assert response.data_json["total"] == 2
    searches = AuditEvent.objects.filter(action="patient.search", actor=personas.doctor)
    # One row per source that listed something, each naming the patient once.
    assert searches.count() == 2
    for event in searches:
        assert event.after["ids"] == [str(personas.patient.external_id)]
        assert event.after["criteria"] == ["patient"]


# --- Task -------------------------------------------------------------------------------------


def test_a_referral_task_follows_the_loop_to_its_outcome(personas, cardiology, slots):
    referral = _refer(personas, cardiology)
    client = personas.client("doctor")
    opened = _read(client, "Task", referral)
    assert opened["status"] == "requested" and opened["intent"] == "order"
    assert opened["focus"]["reference"] == f"ServiceRequest/{referral.external_id}"
    assert opened["for"]["reference"] == f"Patient/{personas.patient.external_id}"
    assert opened["requester"]["reference"] == f"Organization/{personas.township_a.external_id}"
    assert opened["owner"]["reference"] == f"Organization/{cardiology.external_id}"
    assert opened["restriction"]["period"]["end"]
    assert "executionPeriod" not in opened and "output" not in opened

    do_accept_referral(actor=personas.specialist, referral=referral, slot=slots[0])
    accepted = _read(client, "Task", referral)
    specialist = Practitioner.objects.get(user=personas.specialist)
    assert accepted["status"] == "accepted" and accepted["businessStatus"]["text"] == "booked"
    assert accepted["owner"]["reference"] == f"PractitionerRole/{specialist.external_id}"

    do_record_arrival(actor=personas.specialist, referral=referral)
    do_complete_referral(
        actor=personas.specialist,
        referral=referral,
        outcome_summary="PCI 术后出院",
        propose_down=False,
    )
    done = _read(client, "Task", referral)
    assert done["status"] == "completed"
    assert done["businessStatus"]["text"] == "outcome sent back"
    assert set(done["executionPeriod"]) == {"start", "end"}
    assert "restriction" not in done
    assert done["output"] == [
        {
            "type": {
                "coding": [
                    {
                        "system": "urn:lianxin:task-output",
                        "code": "outcome-summary",
                        "display": "Outcome summary",
                    }
                ]
            },
            "valueString": "PCI 术后出院",
        }
    ]
    assert _read(client, "ServiceRequest", referral)["status"] == "completed"


def test_a_rejected_referral_task_says_why(personas, cardiology):
    referral = _refer(personas, cardiology)
    do_reject_referral(actor=personas.specialist, referral=referral, reason="本院无导管室")
    task = _read(personas.client("doctor"), "Task", referral)
    assert task["status"] == "rejected"
    assert task["statusReason"] == {"text": "本院无导管室"}
    assert "restriction" not in task
    assert _read(personas.client("doctor"), "ServiceRequest", referral)["status"] == "revoked"


def test_a_consultation_task_carries_the_signed_opinion(personas, cardiology):
    consultation = _consult(personas, cardiology)
    at = timezone.now() + datetime.timedelta(hours=3)
    do_accept_consultation(actor=personas.specialist, consultation=consultation, scheduled_at=at)
    do_sign_opinion(actor=personas.specialist, consultation=consultation, opinion="建议冠脉造影")
    specialist = Practitioner.objects.get(user=personas.specialist)
    task = _read(personas.client("doctor"), "Task", consultation)
    assert task["status"] == "completed" and task["businessStatus"]["text"] == "opinion signed"
    outputs = {o["type"]["coding"][0]["code"]: o for o in task["output"]}
    assert outputs["opinion"]["valueString"] == "建议冠脉造影"
    assert outputs["signed-by"]["valueReference"]["reference"] == (
        f"PractitionerRole/{specialist.external_id}"
    )
    assert "start" in task["executionPeriod"] and "end" in task["executionPeriod"]


@pytest.mark.parametrize("status", list(Status))
def test_every_workflow_status_maps_to_a_request_task_and_appointment_status(
    personas, cardiology, slots, status
):
    referral = _refer(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=referral, slot=slots[0])
    # The table is about the mapping, not the route there: put the row in each status directly.
    Referral.objects.filter(pk=referral.pk).update(status=status, business_status="")
    client = personas.client("doctor")
    assert _read(client, "Task", referral)["status"] == status.value
    assert _read(client, "ServiceRequest", referral)["status"] == REQUEST_STATUS_BY_WORKFLOW[status]
    expected = {
        "draft": "draft",
        "requested": "active",
        "received": "active",
        "accepted": "active",
        "in-progress": "active",
        "on-hold": "on-hold",
        "completed": "completed",
        "rejected": "revoked",
        "cancelled": "revoked",
        "failed": "revoked",
        "entered-in-error": "entered-in-error",
    }
    assert REQUEST_STATUS_BY_WORKFLOW[status] == expected[status.value]
    appointment = _read(client, "Appointment", slots[0])
    assert appointment["status"] == APPOINTMENT_STATUS_BY_WORKFLOW[status]
    by_status = fhir_get(client, "/fhir/Task", {"status": status.value})
    assert entry_ids(by_status) == [str(referral.external_id)]
    by_request_status = fhir_get(
        client, "/fhir/ServiceRequest", {"status": REQUEST_STATUS_BY_WORKFLOW[status]}
    )
    assert str(referral.external_id) in entry_ids(by_request_status)


# --- Appointment ------------------------------------------------------------------------------


def test_a_booked_slot_is_an_appointment_and_free_slots_are_not(personas, cardiology, slots):
    referral = _refer(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=referral, slot=slots[1])
    client = personas.client("doctor")
    search = fhir_get(client, "/fhir/Appointment")
    assert entry_ids(search) == [str(slots[1].external_id)]
    assert fhir_get(client, f"/fhir/Appointment/{slots[0].external_id}").status_code == 404
    appointment = _read(client, "Appointment", slots[1])
    assert appointment["status"] == "booked"
    assert appointment["basedOn"] == [{"reference": f"ServiceRequest/{referral.external_id}"}]
    assert appointment["minutesDuration"] == 20
    actors = [p["actor"]["reference"] for p in appointment["participant"]]
    assert actors == [
        f"Patient/{personas.patient.external_id}",
        f"Location/{personas.county_a.external_id}",
    ]
    assert appointment["extension"][0]["valueReference"]["reference"] == (
        f"Organization/{cardiology.external_id}"
    )
    do_record_arrival(actor=personas.specialist, referral=referral)
    assert _read(client, "Appointment", slots[1])["status"] == "fulfilled"
    assert AuditEvent.objects.filter(action="patient.read", actor=personas.doctor).count() == 2


def test_a_slot_with_its_doctor_lists_the_doctor_and_a_no_show_is_noshow(
    personas, cardiology, head, tomorrow_9
):
    specialist = Practitioner.objects.get(user=personas.specialist)
    [slot] = do_publish_slots(
        actor=head,
        department=cardiology,
        starts_at=tomorrow_9,
        minutes=30,
        count=1,
        practitioner=specialist,
    )
    referral = _refer(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=referral, slot=slot)
    client = personas.client("specialist")
    appointment = _read(client, "Appointment", slot)
    assert appointment["participant"][2]["actor"]["reference"] == (
        f"PractitionerRole/{specialist.external_id}"
    )
    do_record_no_show(actor=personas.specialist, referral=referral, reason="未到诊")
    assert _read(client, "Appointment", slot)["status"] == "noshow"
    assert entry_ids(fhir_get(client, "/fhir/Appointment", {"status": "noshow"})) == [
        str(slot.external_id)
    ]
    assert fhir_get(client, "/fhir/Appointment", {"status": "booked"}).data_json["total"] == 0


# --- Search parameters ------------------------------------------------------------------------


@pytest.fixture
def world(personas, cardiology, slots):
    """A routine referral (booked, accepted), an urgent consultation, and another patient's
    emergency referral to another department, still requested."""
    referral = _refer(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=referral, slot=slots[0])
    consultation = _consult(personas, cardiology, urgency="urgent")
    other_patient = PatientFactory(name="李四")
    register_at(other_patient, personas.township_a)
    surgery = DepartmentFactory(institution=personas.county_a, name="普外科", code="SURG")
    emergency = _refer(
        personas,
        surgery,
        patient=other_patient,
        urgency="emergency",
        actor=personas.colleague,
        requester_department=personas.department_a,
    )
    return {
        "referral": referral,
        "consultation": consultation,
        "emergency": emergency,
        "patient": personas.patient,
        "other_patient": other_patient,
        "surgery": surgery,
        "slot": slots[0],
    }


def _ids(world, *names):
    return sorted(str(world[name].external_id) for name in names)


def _search(personas, type_name, params):
    response = fhir_get(personas.client("specialist"), f"/fhir/{type_name}", params)
    assert response.status_code == 200, response.data_json
    return sorted(entry_ids(response))


def test_service_requests_search_by_each_parameter(personas, cardiology, world):
    doctor = Practitioner.objects.get(user=personas.doctor)
    specialist = Practitioner.objects.get(user=personas.specialist)
    today = timezone.localdate().isoformat()
    patient = f"Patient/{world['patient'].external_id}"
    cases = [
        ({}, ("referral", "consultation", "emergency")),
        ({"patient": patient}, ("referral", "consultation")),
        ({"subject": str(world["other_patient"].external_id)}, ("emergency",)),
        ({"_id": str(world["consultation"].external_id)}, ("consultation",)),
        ({"status": "active"}, ("referral", "consultation", "emergency")),
        ({"status": "completed,revoked"}, ()),
        (
            {"status": "http://hl7.org/fhir/request-status|active"},
            ("referral", "consultation", "emergency"),
        ),
        ({"requester": f"PractitionerRole/{doctor.external_id}"}, ("referral", "consultation")),
        (
            {"requester": f"Organization/{personas.township_a.external_id}"},
            ("referral", "consultation", "emergency"),
        ),
        ({"requester": f"Organization/{personas.department_a.external_id}"}, ("emergency",)),
        ({"performer": f"Organization/{cardiology.external_id}"}, ("referral", "consultation")),
        ({"performer": f"Organization/{world['surgery'].external_id}"}, ("emergency",)),
        ({"performer": f"PractitionerRole/{specialist.external_id}"}, ("consultation",)),
        (
            {"performer": str(personas.county_a.external_id)},
            ("referral", "consultation", "emergency"),
        ),
        ({"category": f"{SNOMED}|3457005"}, ("referral", "emergency")),
        ({"category": "11429006"}, ("consultation",)),
        ({"category": "urn:lianxin:workflow-kind|consultation"}, ("consultation",)),
        ({"category": f"{SNOMED}|11429006,3457005"}, ("referral", "consultation", "emergency")),
        ({"code": "up"}, ("referral", "emergency")),
        ({"code": "urn:lianxin:consultation-kind|remote"}, ("consultation",)),
        ({"code": "down"}, ()),
        ({"priority": "stat"}, ("emergency",)),
        ({"priority": "routine,urgent"}, ("referral", "consultation")),
        ({"authored": today}, ("referral", "consultation", "emergency")),
        ({"authored": "lt2000-01-01"}, ()),
        ({"patient": patient, "category": "3457005"}, ("referral",)),
    ]
    for params, expected in cases:
        assert _search(personas, "ServiceRequest", params) == _ids(world, *expected), params


def test_tasks_search_by_each_parameter(personas, cardiology, world):
    specialist = Practitioner.objects.get(user=personas.specialist)
    today = timezone.localdate().isoformat()
    cases = [
        ({"patient": f"Patient/{world['patient'].external_id}"}, ("referral", "consultation")),
        ({"subject": str(world["other_patient"].external_id)}, ("emergency",)),
        ({"status": "accepted"}, ("referral",)),
        ({"status": "requested"}, ("consultation", "emergency")),
        ({"status": "ready"}, ()),
        (
            {"requester": f"Organization/{personas.township_a.external_id}"},
            ("referral", "consultation", "emergency"),
        ),
        ({"requester": f"Organization/{personas.county_a.external_id}"}, ()),
        ({"owner": f"PractitionerRole/{specialist.external_id}"}, ("referral",)),
        ({"owner": f"Practitioner/{specialist.external_id}"}, ("referral",)),
        ({"owner": f"Organization/{cardiology.external_id}"}, ("referral", "consultation")),
        (
            {"owner": f"Organization/{personas.county_a.external_id}"},
            ("referral", "consultation", "emergency"),
        ),
        ({"focus": f"ServiceRequest/{world['emergency'].external_id}"}, ("emergency",)),
        ({"priority": "urgent"}, ("consultation",)),
        ({"authored-on": f"ge{today}"}, ("referral", "consultation", "emergency")),
        ({"modified": "le2000"}, ()),
        (
            {"_id": f"{world['referral'].external_id},{world['emergency'].external_id}"},
            ("referral", "emergency"),
        ),
    ]
    for params, expected in cases:
        assert _search(personas, "Task", params) == _ids(world, *expected), params


def test_appointments_search_by_each_parameter(personas, cardiology, world, tomorrow_9):
    day = tomorrow_9.date().isoformat()
    slot = [str(world["slot"].external_id)]
    cases = [
        ({}, slot),
        ({"patient": f"Patient/{world['patient'].external_id}"}, slot),
        ({"patient": str(world["other_patient"].external_id)}, []),
        ({"status": "booked"}, slot),
        ({"status": "fulfilled,cancelled"}, []),
        ({"date": day}, slot),
        ({"date": f"lt{day}"}, []),
        ({"actor": f"Location/{personas.county_a.external_id}"}, slot),
        ({"actor": f"Organization/{cardiology.external_id}"}, slot),
        ({"actor": f"Organization/{world['surgery'].external_id}"}, []),
        ({"actor": f"Patient/{world['patient'].external_id}"}, slot),
        ({"based-on": f"ServiceRequest/{world['referral'].external_id}"}, slot),
        ({"based-on": f"ServiceRequest/{world['emergency'].external_id}"}, []),
    ]
    for params, expected in cases:
        assert _search(personas, "Appointment", params) == expected, params


@pytest.mark.parametrize(
    ("type_name", "params"),
    [
        ("ServiceRequest", {"status": "requested"}),  # a Task code, not a request-status
        ("ServiceRequest", {"authored": "yesterday"}),
        ("ServiceRequest", {"authored": "2024-13-01"}),
        ("ServiceRequest", {"patient": "Organization/7d3b6bc0-6a55-4e53-a4a5-7b3b2f7e1d10"}),
        ("ServiceRequest", {"requester": "Organization/not-a-uuid"}),
        ("ServiceRequest", {"performer": "Device/7d3b6bc0-6a55-4e53-a4a5-7b3b2f7e1d10"}),
        ("ServiceRequest", {"priority": "whenever"}),
        ("ServiceRequest", {"owner": "x"}),  # a Task parameter
        ("Task", {"status": "active"}),
        ("Task", {"owner": "Patient/7d3b6bc0-6a55-4e53-a4a5-7b3b2f7e1d10"}),
        ("Task", {"authored-on": "ge20240101"}),
        ("Task", {"patient:exact": "x"}),
        ("Appointment", {"status": "done"}),
        ("Appointment", {"date": "2024-02-30"}),
        ("Appointment", {"actor": "Device/7d3b6bc0-6a55-4e53-a4a5-7b3b2f7e1d10"}),
        ("Appointment", {"patient": ""}),
    ],
)
def test_bad_values_are_a_400_operation_outcome(personas, type_name, params):
    response = fhir_get(personas.client("doctor"), f"/fhir/{type_name}", params)
    assert response.status_code == 400, params
    assert issue_code(response) in {"invalid", "not-supported"}


# --- Scope ------------------------------------------------------------------------------------


def _each_resource(world):
    return [
        ("ServiceRequest", world["referral"]),
        ("ServiceRequest", world["consultation"]),
        ("Task", world["referral"]),
        ("Task", world["consultation"]),
        ("Appointment", world["slot"]),
    ]


@pytest.mark.parametrize("persona", ["doctor", "colleague", "specialist"])
def test_both_parties_read_each_resource(personas, world, persona):
    for type_name, item in _each_resource(world):
        _read(personas.client(persona), type_name, item)


def test_another_county_gets_404_and_empty_searches(personas, world):
    client = personas.client("outsider")
    for type_name, item in _each_resource(world):
        response = fhir_get(client, f"/fhir/{type_name}/{item.external_id}")
        assert response.status_code == 404 and issue_code(response) == "not-found"
    for type_name in ("ServiceRequest", "Task", "Appointment"):
        assert fhir_get(client, f"/fhir/{type_name}").data_json["total"] == 0
    assert not AuditEvent.objects.filter(
        actor=personas.outsider, action__startswith="patient"
    ).exists()


def test_the_health_commission_sees_no_referral_consultation_or_appointment(personas, world):
    client = personas.client("commission")
    for type_name in ("ServiceRequest", "Task", "Appointment"):
        assert fhir_get(client, f"/fhir/{type_name}").data_json["total"] == 0
    for type_name, item in _each_resource(world):
        assert fhir_get(client, f"/fhir/{type_name}/{item.external_id}").status_code == 404


def test_a_community_member_who_is_no_party_sees_the_slot_but_not_the_appointment(
    personas, world, village_doctor
):
    from lianxin.referrals.models import AppointmentSlot

    assert AppointmentSlot.objects.visible_to(village_doctor).filter(pk=world["slot"].pk).exists()
    client = personas.client(None)
    client.force_login(village_doctor)
    assert fhir_get(client, f"/fhir/Appointment/{world['slot'].external_id}").status_code == 404
    assert fhir_get(client, "/fhir/Appointment").data_json["total"] == 0
    assert fhir_get(client, "/fhir/Task").data_json["total"] == 0


def test_anonymous_clients_get_401(client, world):
    for type_name, item in _each_resource(world):
        assert fhir_get(client, f"/fhir/{type_name}/{item.external_id}").status_code == 401


# --- Capability and query counts --------------------------------------------------------------


def test_the_capability_statement_lists_the_new_types_and_their_parameters(client):
    statement = fhir_get(client, "/fhir/metadata").data_json
    resources = {item["type"]: item for item in statement["rest"][0]["resource"]}
    params = {t: {p["name"] for p in item["searchParam"]} for t, item in resources.items()}
    assert params["ServiceRequest"] >= {
        "_id",
        "patient",
        "subject",
        "status",
        "requester",
        "performer",
        "category",
        "code",
        "priority",
        "authored",
    }
    assert params["Task"] >= {
        "_id",
        "patient",
        "subject",
        "status",
        "requester",
        "owner",
        "focus",
        "authored-on",
        "modified",
    }
    assert params["Appointment"] >= {"_id", "patient", "status", "date", "actor", "based-on"}


def _queries(client, path, params):
    with CaptureQueriesContext(connection) as captured:
        response = fhir_get(client, path, params)
    assert response.status_code == 200
    return len(captured), response


def test_searches_cost_the_same_queries_for_1_and_20_results(
    personas, cardiology, head, tomorrow_9
):
    paths = ("/fhir/ServiceRequest", "/fhir/Task", "/fhir/Appointment")
    slots = do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=10, count=21
    )
    first = _refer(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=first, slot=slots[0])
    _consult(personas, cardiology)
    client = personas.client("specialist")
    one = {path: _queries(client, path, {"_count": "1"})[0] for path in paths}
    for n in range(1, 21):
        patient = PatientFactory()
        register_at(patient, personas.township_a)
        referral = _refer(personas, cardiology, patient=patient)
        do_accept_referral(actor=personas.specialist, referral=referral, slot=slots[n])
        if n % 5 == 0:
            _consult(personas, cardiology, patient=patient)
    for path in paths:
        twenty, response = _queries(client, path, {"_count": "20"})
        assert len(response.data_json["entry"]) == 20
        assert twenty == one[path], path
    # Pages that span both sources (21 referrals, then consultations) cost the same too.
    for path in ("/fhir/ServiceRequest", "/fhir/Task"):
        fewer, _ = _queries(client, path, {"_count": "22"})
        more, response = _queries(client, path, {"_count": "30"})
        assert len(response.data_json["entry"]) == 26
        assert fewer == more, path
