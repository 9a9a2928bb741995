"""Workflow items (``lianxin.core.workflow``) as ServiceRequest + Task: the pieces every item type
shares, whatever app it comes from.

An item is a ServiceRequest (what was asked) and a Task (how far it is), both with the item's id.
The workflow's statuses are FHIR ``Task.status`` codes, so the Task carries them one to one and the
ServiceRequest gets the coarser request status. ``resources.referrals`` builds referrals and
consultations with these pieces; another item type (an exam order) can do the same with its own
category and parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from lianxin.core.workflow import CLOSED_STATUSES, Status
from lianxin.interfaces.actions import record_patient_search
from lianxin.interfaces.fhir.builders import concept, reference
from lianxin.interfaces.fhir.registry import SearchParam
from lianxin.interfaces.fhir.resources.organization import NOTHING
from lianxin.interfaces.fhir.rules import LIANXIN, System
from lianxin.interfaces.fhir.search import SearchError, date_lookup, parse_reference, parse_token
from lianxin.patients.actions import record_patient_read
from lianxin.referrals.rules import Urgency

# --- Code systems and code maps (data, each with its source) ----------------------------------

FHIR_R4 = "FHIR R4 (hl7.org/fhir/R4), the value set bound to the element"
SNOMED_CT = System(
    "http://snomed.info/sct",
    "SNOMED CT",
    "SNOMED CT International Edition; 3457005 and 11429006 as in the FHIR R4 examples "
    "(ServiceRequest category, Encounter type)",
)
ICD_10 = System(
    "http://hl7.org/fhir/sid/icd-10",
    "ICD-10 as coded on Chinese records (GB/T 14396-2016, 国家临床版 2.0)",
    "FHIR R4 terminology: the URI of ICD-10",
)
TASK_CODE = System("http://hl7.org/fhir/CodeSystem/task-code", "task code", FHIR_R4)
REQUEST_STATUS = System("http://hl7.org/fhir/request-status", "request status", FHIR_R4)
TASK_STATUS = System("http://hl7.org/fhir/task-status", "task status", FHIR_R4)
REQUEST_PRIORITY = System("http://hl7.org/fhir/request-priority", "request priority", FHIR_R4)
TASK_OUTPUT = System("urn:lianxin:task-output", "what a closed loop sends back", LIANXIN)

# Workflow (= Task) status → ServiceRequest status (request-status: draft | active | on-hold |
# revoked | completed | entered-in-error | unknown). A request the performer refused, or that was
# withdrawn or failed, is no longer to be acted on: "revoked".
REQUEST_STATUS_BY_WORKFLOW: dict[str, str] = {
    Status.DRAFT: "draft",
    Status.REQUESTED: "active",
    Status.RECEIVED: "active",
    Status.ACCEPTED: "active",
    Status.IN_PROGRESS: "active",
    Status.ON_HOLD: "on-hold",
    Status.COMPLETED: "completed",
    Status.REJECTED: "revoked",
    Status.CANCELLED: "revoked",
    Status.FAILED: "revoked",
    Status.ENTERED_IN_ERROR: "entered-in-error",
}
REQUEST_STATUSES = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
# task-status: the workflow has every code but "ready" (no item waits without a performer).
TASK_STATUSES = frozenset({*Status.values, "ready"})

# Urgency → request-priority (routine | urgent | asap | stat): the green channel is "stat".
PRIORITY_BY_URGENCY: dict[str, str] = {
    Urgency.ROUTINE: "routine",
    Urgency.URGENT: "urgent",
    Urgency.EMERGENCY: "stat",
}
PRIORITIES = frozenset({"routine", "urgent", "asap", "stat"})

# Statuses whose Task says why (Task.statusReason), from the reason of the last history row.
REASONED_STATUSES = frozenset(
    {Status.REJECTED, Status.CANCELLED, Status.FAILED, Status.ENTERED_IN_ERROR, Status.ON_HOLD}
)

# What ``service_request`` and ``task`` read from an item: select these (and prefetch
# ``transitions`` in history order for a Task) so that a page costs a fixed number of queries.
ITEM_RELATED = (
    "patient",
    "requester_institution",
    "performer_institution",
    "performer_department",
    "requester__practitioner",
    "owner__practitioner__institution",
)


# --- References -------------------------------------------------------------------------------


def org_ref(institution_or_department: Any) -> dict[str, str]:
    return reference(
        "Organization", institution_or_department.external_id, institution_or_department.name
    )


def role_ref(practitioner: Any) -> dict[str, str]:
    # The primary post of a practitioner is the PractitionerRole with the practitioner's id.
    return reference("PractitionerRole", practitioner.external_id, practitioner.name)


def patient_ref(patient: Any) -> dict[str, str]:
    return reference("Patient", patient.external_id, patient.name)


def _practitioner_of(user: Any) -> Any:
    # select_related caches a missing reverse one-to-one as "none", so this never queries.
    return getattr(user, "practitioner", None) if user is not None else None


def requester_ref(item: Any) -> dict[str, str]:
    """The requesting doctor's post when they work at the requesting institution, else it."""
    practitioner = _practitioner_of(item.requester)
    if practitioner is not None and practitioner.institution_id == item.requester_institution_id:
        return role_ref(practitioner)
    return org_ref(item.requester_institution)


def owner_ref(item: Any) -> dict[str, str]:
    """Task.owner has one value: the doctor who took it on, else the department, else the
    institution."""
    practitioner = _practitioner_of(item.owner)
    if practitioner is not None:
        return role_ref(practitioner)
    return org_ref(item.performer_department or item.performer_institution)


def unique_refs(references: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for ref in references:
        if ref["reference"] not in seen:
            seen.add(ref["reference"])
            out.append(ref)
    return out


def notes(*texts: str) -> list[dict[str, str]] | None:
    found = [{"text": text} for text in texts if text]
    return found or None


# --- ServiceRequest and Task ------------------------------------------------------------------


def service_request(item: Any, category: dict[str, Any], **data: Any) -> ServiceRequest:
    """The ServiceRequest of an item; ``data`` adds elements (None values are left out)."""
    return ServiceRequest(
        id=str(item.external_id),
        status=REQUEST_STATUS_BY_WORKFLOW[item.status],
        intent="order",
        category=[category],
        priority=PRIORITY_BY_URGENCY.get(item.urgency, "routine"),
        subject=patient_ref(item.patient),
        authoredOn=item.created_at,
        requester=requester_ref(item),
        **{key: value for key, value in data.items() if value is not None},
    )


def task_output(code: str, display: str, **value: Any) -> dict[str, Any]:
    return {"type": concept(TASK_OUTPUT, code, display), **value}


def task(item: Any, outputs: list[dict[str, Any]]) -> Task:
    """The Task of an item; ``outputs`` are shown once it is completed."""
    history = list(item.transitions.all())
    data: dict[str, Any] = {
        "id": str(item.external_id),
        "status": item.status,
        "intent": "order",
        "priority": PRIORITY_BY_URGENCY.get(item.urgency, "routine"),
        "code": concept(TASK_CODE, "fulfill", "Fulfill the focal request"),
        "focus": reference("ServiceRequest", item.external_id),
        "for": patient_ref(item.patient),
        "authoredOn": item.created_at,
        "lastModified": item.updated_at,
        "requester": org_ref(item.requester_institution),
        "owner": owner_ref(item),
    }
    if item.business_status:
        data["businessStatus"] = {"text": item.business_status}
    started = next((row.at for row in history if row.to_status == Status.IN_PROGRESS), None)
    if started is not None:
        period = {"start": started}
        if item.status in CLOSED_STATUSES:
            period["end"] = item.status_changed_at
        data["executionPeriod"] = period
    if item.due_at is not None and item.status not in CLOSED_STATUSES:
        data["restriction"] = {"period": {"end": item.due_at}}
    if item.status in REASONED_STATUSES:
        last = next((row for row in reversed(history) if row.to_status == item.status), None)
        if last is not None and last.reason:
            data["statusReason"] = {"text": last.reason}
    if item.status == Status.COMPLETED and outputs:
        data["output"] = outputs
    return Task(**data)


# --- Search parameters ------------------------------------------------------------------------

# A path is a field holding the target's id, or a function of the id giving a Q (for ids held in
# another table, matched with pk__in so that no row is listed twice).
Path = str | Callable[[Any], Q]


def reference_param(
    name: str, documentation: str, paths: dict[str, tuple[Path, ...]]
) -> SearchParam:
    """A reference parameter: ``Type/<id>`` matches the paths of that type, a bare id any."""
    types = tuple(paths)

    def to_q(values: list[str], modifier: str | None) -> Q:
        condition = Q()
        for value in values:
            key = parse_reference(value, name, types)
            parts = value.rstrip("/").split("/")
            for target in (parts[-2],) if len(parts) >= 2 else types:
                for path in paths[target]:
                    condition |= path(key) if callable(path) else Q(**{path: key})
        return condition or NOTHING

    return SearchParam(name, "reference", documentation, to_q)


def patient_param(name: str, path: str) -> SearchParam:
    return reference_param(name, "Patient/<id>.", {"Patient": (f"{path}__external_id",)})


def token_codes(values: list[str], name: str, system: System, allowed: frozenset[str]) -> set:
    """The codes asked for in ``system`` (or with no system); a code outside ``allowed`` is a
    400, as it can never be a value of the element."""
    codes = set()
    for value in values:
        given, code = parse_token(value)
        if code not in allowed:
            raise SearchError(f"{name}: {code!r} is not one of {', '.join(sorted(allowed))}.")
        if given in (None, system.uri):
            codes.add(code)
    return codes


def _request_status(values: list[str], modifier: str | None) -> Q:
    codes = token_codes(values, "status", REQUEST_STATUS, REQUEST_STATUSES)
    statuses = [s for s, code in REQUEST_STATUS_BY_WORKFLOW.items() if code in codes]
    return Q(status__in=statuses) if statuses else NOTHING


def _task_status(values: list[str], modifier: str | None) -> Q:
    codes = token_codes(values, "status", TASK_STATUS, TASK_STATUSES)
    return Q(status__in=codes) if codes else NOTHING


def _priority(values: list[str], modifier: str | None) -> Q:
    codes = token_codes(values, "priority", REQUEST_PRIORITY, PRIORITIES)
    urgencies = [u for u, code in PRIORITY_BY_URGENCY.items() if code in codes]
    return Q(urgency__in=urgencies) if urgencies else NOTHING


def date_param(name: str, field: str, documentation: str) -> SearchParam:
    """A date parameter on the local date of a datetime field."""

    def to_q(values: list[str], modifier: str | None) -> Q:
        condition = Q()
        for value in values:
            condition |= Q(**date_lookup(f"{field}__date", value, name))
        return condition

    return SearchParam(name, "date", documentation, to_q)


REQUEST_STATUS_PARAM = SearchParam(
    "status",
    "token",
    "draft, active, on-hold, revoked, completed, entered-in-error (request-status).",
    _request_status,
)
TASK_STATUS_PARAM = SearchParam(
    "status",
    "token",
    "A task-status code: draft, requested, received, accepted, rejected, in-progress, on-hold, "
    "completed, failed, cancelled, entered-in-error.",
    _task_status,
)
_REQUESTER_DOC = (
    "Organization/<id> of the requesting institution (or, for a referral, its department); "
    "PractitionerRole/<id> or Practitioner/<id> of the requesting doctor."
)
_OWNER_DOC = (
    "Organization/<id> of the performing institution or department; PractitionerRole/<id> or "
    "Practitioner/<id> of the doctor who took it on."
)
_AUTHORED_DOC = "When it was asked: YYYY[-MM[-DD]] with prefix eq, ge, le, gt or lt."
_REQUESTER_DOCTOR = ("requester__practitioner__external_id",)
_OWNER_DOCTOR = ("owner__practitioner__external_id",)
PERFORMING_ORGANIZATION = (
    "performer_institution__external_id",
    "performer_department__external_id",
)


def common_params(requester_organizations: tuple[Path, ...]) -> list[SearchParam]:
    """Parameters of both the ServiceRequest and the Task of an item."""
    return [
        patient_param("patient", "patient"),
        patient_param("subject", "patient"),
        SearchParam("priority", "token", "routine, urgent or stat (green channel).", _priority),
        reference_param(
            "requester",
            _REQUESTER_DOC,
            {
                "Organization": requester_organizations,
                "PractitionerRole": _REQUESTER_DOCTOR,
                "Practitioner": _REQUESTER_DOCTOR,
            },
        ),
    ]


def service_request_params(requester_organizations: tuple[Path, ...]) -> list[SearchParam]:
    return [
        *common_params(requester_organizations),
        REQUEST_STATUS_PARAM,
        date_param("authored", "created_at", _AUTHORED_DOC),
    ]


def task_params(requester_organizations: tuple[Path, ...]) -> list[SearchParam]:
    return [
        *common_params(requester_organizations),
        TASK_STATUS_PARAM,
        reference_param(
            "owner",
            _OWNER_DOC,
            {
                "Organization": PERFORMING_ORGANIZATION,
                "PractitionerRole": _OWNER_DOCTOR,
                "Practitioner": _OWNER_DOCTOR,
            },
        ),
        reference_param(
            "focus", "ServiceRequest/<id> (the same id).", {"ServiceRequest": ("external_id",)}
        ),
        date_param("authored-on", "created_at", _AUTHORED_DOC),
        date_param("modified", "updated_at", "Last change: a date with a prefix, as above."),
    ]


# --- Audit hooks: a read or a listing of an item opens its patient's record -------------------


def audit_read(user: Any, item: Any) -> None:
    record_patient_read(actor=user, patient=item.patient, channel="fhir")


def audit_search(user: Any, items: list[Any], criteria: list[str]) -> None:
    if items:
        ids = dict.fromkeys(item.patient.external_id for item in items)
        record_patient_search(actor=user, patient_ids=list(ids), channel="fhir", criteria=criteria)
