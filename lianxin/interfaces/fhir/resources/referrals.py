"""Referrals and consultations as ServiceRequest + Task; booked reserved slots as Appointment.

- Each referral and each consultation is a ServiceRequest and a Task with the item's id, built
  with the shared pieces of ``resources.workflow``; the category tells a referral (SNOMED CT
  3457005) from a consultation (11429006), the code its direction or kind.
- A reserved slot booked for a referral is an Appointment with the slot's id, ``basedOn`` the
  referral's ServiceRequest. Free or withdrawn slots are not appointments; a cancelled referral
  frees its slot, which then is no appointment either.

Reading any of them opens a patient's record and writes the read-audit row; a search page that
lists some writes one search-audit row per source, as for Patient.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from lianxin.core.access import Access
from lianxin.core.workflow import Status
from lianxin.interfaces.fhir.builders import coding, concept, reference
from lianxin.interfaces.fhir.registry import BuildContext, SearchParam, register_resource
from lianxin.interfaces.fhir.resources.organization import NOTHING
from lianxin.interfaces.fhir.resources.workflow import (
    FHIR_R4,
    ICD_10,
    ITEM_RELATED,
    PERFORMING_ORGANIZATION,
    SNOMED_CT,
    audit_read,
    audit_search,
    date_param,
    notes,
    org_ref,
    patient_param,
    patient_ref,
    reference_param,
    role_ref,
    service_request,
    service_request_params,
    task,
    task_output,
    task_params,
    token_codes,
    unique_refs,
)
from lianxin.interfaces.fhir.rules import LIANXIN, System
from lianxin.interfaces.fhir.search import parse_token
from lianxin.referrals.models import (
    AppointmentSlot,
    Consultation,
    ConsultationInvitee,
    ConsultationTransition,
    Referral,
    ReferralTransition,
    SlotQuerySet,
)
from lianxin.referrals.rules import ConsultationKind, Direction

# --- Code systems and code maps (data, each with its source) ----------------------------------

APPOINTMENT_STATUS = System("http://hl7.org/fhir/appointmentstatus", "appointment status", FHIR_R4)
WORKFLOW_KIND = System("urn:lianxin:workflow-kind", "referral or consultation", LIANXIN)
REFERRAL_DIRECTION = System("urn:lianxin:referral-direction", "up or down (双向转诊)", LIANXIN)
CONSULTATION_KIND = System("urn:lianxin:consultation-kind", "remote or MDT", LIANXIN)
APPOINTMENT_DEPARTMENT = "urn:lianxin:fhir:StructureDefinition:appointment-department"

REFERRAL = "referral"
CONSULTATION = "consultation"
# ServiceRequest.category: the SNOMED CT concept, and the local code that says the same.
CATEGORY: dict[str, tuple[str, str]] = {
    REFERRAL: ("3457005", "Patient referral"),
    CONSULTATION: ("11429006", "Consultation"),
}

# Referral status → status of the appointment booked for it (appointmentstatus). A cancelled
# referral frees its slot, so it no longer has an appointment; a no-show keeps it.
NO_SHOW = "no-show"  # the business status of referrals.models.REFERRAL_WORKFLOW's "no_show"
APPOINTMENT_STATUS_BY_WORKFLOW: dict[str, str] = {
    Status.DRAFT: "booked",
    Status.REQUESTED: "booked",
    Status.RECEIVED: "booked",
    Status.ACCEPTED: "booked",
    Status.ON_HOLD: "booked",
    Status.IN_PROGRESS: "fulfilled",
    Status.COMPLETED: "fulfilled",
    Status.FAILED: "fulfilled",  # failed after arrival; a no-show is "noshow", below
    Status.REJECTED: "cancelled",
    Status.CANCELLED: "cancelled",
    Status.ENTERED_IN_ERROR: "entered-in-error",
}
APPOINTMENT_STATUSES = frozenset(
    {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    }
)


# --- Querysets: everything a resource needs, in a fixed number of queries ---------------------


def _referrals():
    return Referral.objects.select_related(
        *ITEM_RELATED, "requester_department", "requested_practitioner", "slot"
    )


def _referral_tasks():
    history = ReferralTransition.objects.order_by("at", "id")
    return _referrals().prefetch_related(Prefetch("transitions", queryset=history))


def _invitees() -> Prefetch:
    rows = ConsultationInvitee.objects.select_related(
        "institution", "department", "practitioner"
    ).order_by("id")
    return Prefetch("invitees", queryset=rows)


def _consultations():
    return Consultation.objects.select_related(*ITEM_RELATED, "signed_by").prefetch_related(
        _invitees()
    )


def _consultation_tasks():
    history = ConsultationTransition.objects.order_by("at", "id")
    return _consultations().prefetch_related(Prefetch("transitions", queryset=history))


class BookedSlotQuerySet(SlotQuerySet):
    """Booked slots, seen only by those who see the referral: a slot is public to the community,
    the patient booked into it is not."""

    def scope(self, access: Access) -> BookedSlotQuerySet:
        referrals = Referral.objects.all().scope(access).values("pk")
        return super().scope(access).filter(referral__in=referrals)


def _appointments():
    return (
        BookedSlotQuerySet(model=AppointmentSlot)
        .filter(referral__isnull=False)
        .select_related("institution", "department", "practitioner", "referral__patient")
    )


# --- ServiceRequest and Task ------------------------------------------------------------------


def _category(kind: str) -> dict[str, Any]:
    code, display = CATEGORY[kind]
    return {"coding": [coding(SNOMED_CT, code, display), coding(WORKFLOW_KIND, kind)]}


def referral_to_service_request(referral: Referral, context: BuildContext) -> ServiceRequest:
    performers = [org_ref(referral.performer_institution)]
    if referral.performer_department is not None:
        performers.append(org_ref(referral.performer_department))
    if referral.requested_practitioner is not None:
        performers.append(role_ref(referral.requested_practitioner))
    reason: dict[str, Any] = {"text": referral.diagnosis_text}
    if referral.diagnosis_code:
        reason["coding"] = [coding(ICD_10, referral.diagnosis_code, referral.diagnosis_text)]
    slot = getattr(referral, "slot", None)
    return service_request(
        referral,
        _category(REFERRAL),
        code=concept(REFERRAL_DIRECTION, referral.direction, str(referral.get_direction_display())),
        performer=performers,
        reasonCode=[reason],
        note=notes(referral.reason, referral.history_summary),
        occurrencePeriod={"start": slot.starts_at, "end": slot.ends_at} if slot else None,
    )


def consultation_to_service_request(
    consultation: Consultation, context: BuildContext
) -> ServiceRequest:
    performers = []
    for invitee in consultation.invitees.all():
        performers.append(org_ref(invitee.institution))
        if invitee.department is not None:
            performers.append(org_ref(invitee.department))
        if invitee.practitioner is not None:
            performers.append(role_ref(invitee.practitioner))
    return service_request(
        consultation,
        _category(CONSULTATION),
        code=concept(CONSULTATION_KIND, consultation.kind, str(consultation.get_kind_display())),
        performer=unique_refs(performers) or [org_ref(consultation.performer_institution)],
        note=notes(consultation.question, consultation.clinical_summary),
        occurrenceDateTime=consultation.scheduled_at,
    )


def referral_to_task(referral: Referral, context: BuildContext) -> Task:
    outputs = []
    if referral.outcome_summary:
        outputs.append(
            task_output("outcome-summary", "Outcome summary", valueString=referral.outcome_summary)
        )
    return task(referral, outputs)


def consultation_to_task(consultation: Consultation, context: BuildContext) -> Task:
    outputs = []
    if consultation.opinion:
        outputs.append(task_output("opinion", "Signed opinion", valueString=consultation.opinion))
    if consultation.signed_by is not None:
        outputs.append(
            task_output("signed-by", "Signed by", valueReference=role_ref(consultation.signed_by))
        )
    for invitee in consultation.invitees.all():
        if invitee.opinion:
            outputs.append(
                task_output("contribution", "MDT contribution", valueString=invitee.opinion)
            )
    return task(consultation, outputs)


# --- Appointment ------------------------------------------------------------------------------


def appointment_status(slot: AppointmentSlot) -> str:
    referral = slot.referral
    if referral.status == Status.FAILED and referral.business_status == NO_SHOW:
        return "noshow"
    return APPOINTMENT_STATUS_BY_WORKFLOW[referral.status]


def slot_to_appointment(slot: AppointmentSlot, context: BuildContext) -> Appointment:
    referral = slot.referral
    participants = [
        {"actor": patient_ref(referral.patient), "required": "required", "status": "accepted"},
        {
            "actor": reference("Location", slot.institution.external_id, slot.institution.name),
            "required": "required",
            "status": "accepted",
        },
    ]
    if slot.practitioner is not None:
        participants.append(
            {"actor": role_ref(slot.practitioner), "required": "required", "status": "accepted"}
        )
    data: dict[str, Any] = {
        "id": str(slot.external_id),
        "status": appointment_status(slot),
        "start": slot.starts_at,
        "end": slot.ends_at,
        "minutesDuration": int((slot.ends_at - slot.starts_at).total_seconds() // 60),
        "participant": participants,
        "basedOn": [reference("ServiceRequest", referral.external_id)],
        "description": slot.department.name,
        # Appointment.participant cannot be an Organization; the department is one (type dept).
        "extension": [{"url": APPOINTMENT_DEPARTMENT, "valueReference": org_ref(slot.department)}],
    }
    if slot.booked_at is not None:
        data["created"] = slot.booked_at
    return Appointment(**data)


# --- Search parameters ------------------------------------------------------------------------


def _category_param(kind: str) -> SearchParam:
    snomed, _display = CATEGORY[kind]

    def to_q(values: list[str], modifier: str | None) -> Q:
        for value in values:
            system, code = parse_token(value)
            if (system in (None, SNOMED_CT.uri) and code == snomed) or (
                system in (None, WORKFLOW_KIND.uri) and code == kind
            ):
                return Q()
        return NOTHING

    documentation = (
        f"{SNOMED_CT.uri}|{CATEGORY[REFERRAL][0]} (referral) or |{CATEGORY[CONSULTATION][0]} "
        f"(consultation); also {WORKFLOW_KIND.uri}|referral or |consultation."
    )
    return SearchParam("category", "token", documentation, to_q)


def _code_param(field: str, system: System, allowed: list[str]) -> SearchParam:
    def to_q(values: list[str], modifier: str | None) -> Q:
        codes = set()
        for value in values:
            given, code = parse_token(value)
            if given in (None, system.uri) and code in allowed:
                codes.add(code)
        return Q(**{f"{field}__in": codes}) if codes else NOTHING

    documentation = (
        f"{REFERRAL_DIRECTION.uri}|up or |down (referrals); "
        f"{CONSULTATION_KIND.uri}|remote or |mdt (consultations)."
    )
    return SearchParam("code", "token", documentation, to_q)


def _invited(field: str):
    """Consultations with an invited party whose ``field`` is the id (an MDT has several)."""

    def to_q(key: Any) -> Q:
        rows = ConsultationInvitee.objects.filter(**{field: key})
        return Q(pk__in=rows.values("consultation_id"))

    return to_q


def _service_request_search(kind: str) -> list[SearchParam]:
    if kind == REFERRAL:
        requesters = ("requester_institution__external_id", "requester_department__external_id")
        doctor = ("requested_practitioner__external_id",)
        performers = {"Organization": PERFORMING_ORGANIZATION, "PractitionerRole": doctor}
        code = _code_param("direction", REFERRAL_DIRECTION, Direction.values)
    else:
        requesters = ("requester_institution__external_id",)
        doctor = (_invited("practitioner__external_id"),)
        performers = {
            "Organization": (
                _invited("institution__external_id"),
                _invited("department__external_id"),
            ),
            "PractitionerRole": doctor,
        }
        code = _code_param("kind", CONSULTATION_KIND, ConsultationKind.values)
    performers["Practitioner"] = doctor
    return [
        *service_request_params(requesters),
        reference_param(
            "performer",
            "Organization/<id> of an asked institution or department; PractitionerRole/<id> or "
            "Practitioner/<id> of an asked doctor.",
            performers,
        ),
        _category_param(kind),
        code,
    ]


def _appointment_status(values: list[str], modifier: str | None) -> Q:
    codes = token_codes(values, "status", APPOINTMENT_STATUS, APPOINTMENT_STATUSES)
    condition = Q()
    statuses = [s for s, code in APPOINTMENT_STATUS_BY_WORKFLOW.items() if code in codes]
    if statuses:
        no_show = Q(referral__status=Status.FAILED, referral__business_status=NO_SHOW)
        condition |= Q(referral__status__in=statuses) & ~no_show
    if "noshow" in codes:
        condition |= Q(referral__status=Status.FAILED, referral__business_status=NO_SHOW)
    return condition or NOTHING


_SLOT_DOCTOR = ("practitioner__external_id",)


def _appointment_params() -> list[SearchParam]:
    return [
        patient_param("patient", "referral__patient"),
        SearchParam(
            "status",
            "token",
            "booked, fulfilled, noshow, cancelled or entered-in-error (appointmentstatus).",
            _appointment_status,
        ),
        date_param("date", "starts_at", "Start date: YYYY[-MM[-DD]] with a prefix."),
        reference_param(
            "actor",
            "Patient/<id>, Location/<id> (the institution's site), Organization/<id> (the "
            "institution or the department), PractitionerRole/<id> or Practitioner/<id>.",
            {
                "Patient": ("referral__patient__external_id",),
                "Location": ("institution__external_id",),
                "Organization": ("institution__external_id", "department__external_id"),
                "PractitionerRole": _SLOT_DOCTOR,
                "Practitioner": _SLOT_DOCTOR,
            },
        ),
        reference_param(
            "based-on",
            "ServiceRequest/<id> of the referral.",
            {"ServiceRequest": ("referral__external_id",)},
        ),
    ]


# --- Registration -----------------------------------------------------------------------------


def _audit_read_slot(user: Any, slot: AppointmentSlot) -> None:
    audit_read(user, slot.referral)


def _audit_search_slots(user: Any, slots: list[AppointmentSlot], criteria: list[str]) -> None:
    audit_search(user, [slot.referral for slot in slots], criteria)


_registered = False
_NEWEST_FIRST = ("-created_at", "-pk")


def register() -> None:
    global _registered
    if _registered:
        return
    hooks = {"on_read": audit_read, "on_search": audit_search, "ordering": _NEWEST_FIRST}
    register_resource(
        "ServiceRequest",
        source=REFERRAL,
        queryset=_referrals,
        to_fhir=referral_to_service_request,
        search_params=_service_request_search(REFERRAL),
        documentation=(
            "Referrals (category 3457005) and consultations (11429006), each with the id of its "
            "Task. Reads are audited as reads of the patient's record."
        ),
        **hooks,
    )
    register_resource(
        "ServiceRequest",
        source=CONSULTATION,
        queryset=_consultations,
        to_fhir=consultation_to_service_request,
        search_params=_service_request_search(CONSULTATION),
        **hooks,
    )
    requesters = ("requester_institution__external_id",)
    register_resource(
        "Task",
        source=REFERRAL,
        queryset=_referral_tasks,
        to_fhir=referral_to_task,
        search_params=task_params(requesters),
        documentation=(
            "Where each referral and consultation stands: status is the workflow status, focus "
            "the ServiceRequest with the same id."
        ),
        **hooks,
    )
    register_resource(
        "Task",
        source=CONSULTATION,
        queryset=_consultation_tasks,
        to_fhir=consultation_to_task,
        search_params=task_params(requesters),
        **hooks,
    )
    register_resource(
        "Appointment",
        source="reserved_slot",
        queryset=_appointments,
        to_fhir=slot_to_appointment,
        search_params=_appointment_params(),
        ordering=("starts_at", "pk"),
        on_read=_audit_read_slot,
        on_search=_audit_search_slots,
        documentation="Reserved slots booked for referrals (号源下沉); free slots are not listed.",
    )
    _registered = True
