"""Exam orders and their results on the FHIR façade (registered from ``apps.ready``):

- ``ServiceRequest`` (source ``exam-order``): each order, with its accession number.
- ``DiagnosticReport`` (source ``exam-report``): each signed report version; an amendment is
  ``amended``, the version it replaces stays readable.
- ``Observation`` (source ``result-value``): each lab value of a signed version, with its unit
  (UCUM where the unit has a UCUM spelling) and the critical flag.
- ``ImagingStudy`` (source ``exam-study``): orders with images, with the same id as the order.

Reads audit as reads of the patient's record, like the referral resources.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.imagingstudy import ImagingStudy
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.servicerequest import ServiceRequest

from lianxin.diagnostics.models import ExamOrder, Report, ReportStatus, ResultValue
from lianxin.diagnostics.rules import ANALYTES

ACCESSION = "urn:lianxin:accession-number"
EXAM_CODE = "urn:lianxin:exam-item"
CENTRE_TYPE = "urn:lianxin:centre-type"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# Our units → UCUM (FHIR R4 recommends UCUM for Quantity.code).
UCUM_CODE = {
    "10^9/L": "10*9/L",
    "g/L": "g/L",
    "U/L": "U/L",
    "umol/L": "umol/L",
    "mmol/L": "mmol/L",
    "ng/mL": "ng/mL",
}
# Accession modality → DICOM modality code (DICOM PS3.16 CID 29); DR is DX.
DICOM_MODALITY = {"CT": "CT", "DR": "DX", "US": "US", "EC": "ECG"}
# Centre type → diagnostic service section (HL7 v2 table 0074).
SERVICE_SECTION = {
    "imaging": ("RAD", "Radiology"),
    "ecg": ("EC", "Electrocardiac"),
    "laboratory": ("LAB", "Laboratory"),
    "pathology": ("SP", "Surgical Pathology"),
}
ORDER_STATUS = {
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
ORDER_RELATED = (
    "patient",
    "exam",
    "requester_institution",
    "performer_institution",
    "centre",
    "requester__practitioner",
)


def _ref(resource_type: str, row: Any, display: str = "") -> dict[str, str]:
    out = {"reference": f"{resource_type}/{row.external_id}"}
    if display:
        out["display"] = display
    return out


def _exam_code(order: ExamOrder) -> dict[str, Any]:
    return {
        "coding": [{"system": EXAM_CODE, "code": order.exam.code, "display": order.exam.name}],
        "text": order.exam.name,
    }


def _section(order: ExamOrder) -> dict[str, Any]:
    code, display = SERVICE_SECTION.get(order.centre_type, ("OTH", "Other"))
    return {"coding": [{"system": V2_0074, "code": code, "display": display}]}


def order_to_service_request(order: ExamOrder, context: Any = None) -> ServiceRequest:
    data: dict[str, Any] = {
        "id": str(order.external_id),
        "identifier": [{"system": ACCESSION, "value": order.accession_number}],
        "status": ORDER_STATUS[order.status],
        "intent": "order",
        "category": [_section(order)],
        "priority": order.priority,
        "code": _exam_code(order),
        "subject": _ref("Patient", order.patient, order.patient.name),
        "authoredOn": order.created_at,
        "requester": _ref(
            "Organization", order.requester_institution, order.requester_institution.name
        ),
        "performer": [_ref("Organization", order.centre, order.centre.name)],
    }
    if order.clinical_question:
        data["reasonCode"] = [{"text": order.clinical_question}]
    return ServiceRequest(**data)


def report_to_diagnostic_report(report: Report, context: Any = None) -> DiagnosticReport:
    order = report.order
    data: dict[str, Any] = {
        "id": str(report.external_id),
        "identifier": [
            {"system": ACCESSION, "value": f"{order.accession_number}-{report.version}"}
        ],
        "basedOn": [_ref("ServiceRequest", order)],
        "status": "final" if report.version == 1 else "amended",
        "category": [_section(order)],
        "code": _exam_code(order),
        "subject": _ref("Patient", order.patient, order.patient.name),
        "effectiveDateTime": order.performed_at or order.created_at,
        "issued": report.signed_at,
        "performer": [
            _ref("Organization", order.performer_institution, order.performer_institution.name)
        ],
        "conclusion": report.impression,
        "result": [_ref("Observation", value) for value in report.values.all()] or None,
    }
    if order.image_count:
        data["imagingStudy"] = [_ref("ImagingStudy", order)]
    return DiagnosticReport(**{k: v for k, v in data.items() if v is not None})


def value_to_observation(value: ResultValue, context: Any = None) -> Observation:
    report = value.report
    order = report.order
    analyte = ANALYTES.get(value.analyte)
    coding = [
        {"system": EXAM_CODE, "code": value.analyte, "display": analyte.name if analyte else ""}
    ]
    if analyte and analyte.loinc:
        coding.insert(0, {"system": LOINC, "code": analyte.loinc})
    quantity: dict[str, Any] = {"value": value.value, "unit": value.unit}
    if value.unit in UCUM_CODE:
        quantity.update(system=UCUM, code=UCUM_CODE[value.unit])
    data: dict[str, Any] = {
        "id": str(value.external_id),
        "status": "final" if report.version == 1 else "amended",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": coding, "text": analyte.name if analyte else value.analyte},
        "subject": _ref("Patient", order.patient, order.patient.name),
        "basedOn": [_ref("ServiceRequest", order)],
        "effectiveDateTime": order.performed_at or order.created_at,
        "issued": report.signed_at,
        "performer": [_ref("Organization", order.performer_institution)],
        "valueQuantity": quantity,
    }
    if value.flag == "C":
        data["interpretation"] = [
            {"coding": [{"system": INTERPRETATION, "code": "AA", "display": "Critical abnormal"}]}
        ]
    return Observation(**data)


def order_to_imaging_study(order: ExamOrder, context: Any = None) -> ImagingStudy:
    data: dict[str, Any] = {
        "id": str(order.external_id),
        "identifier": [{"system": ACCESSION, "value": order.accession_number}],
        "status": "available" if order.performed_at else "registered",
        "subject": _ref("Patient", order.patient, order.patient.name),
        "basedOn": [_ref("ServiceRequest", order)],
        "started": order.performed_at,
        "numberOfInstances": order.image_count,
        "description": order.exam.name,
        "location": None,
    }
    modality = DICOM_MODALITY.get(order.exam.modality)
    if modality:
        data["modality"] = [{"system": DICOM_DCM, "code": modality}]
    if order.study_uid:
        data["identifier"].append(
            {"system": "urn:dicom:uid", "value": f"urn:oid:{order.study_uid}"}
        )
    return ImagingStudy(**{k: v for k, v in data.items() if v is not None})


def _orders():
    return ExamOrder.objects.select_related(*ORDER_RELATED)


def _reports():
    return (
        Report.objects.filter(status=ReportStatus.SIGNED)
        .select_related("order__patient", "order__exam", "order__performer_institution")
        .prefetch_related(Prefetch("values", queryset=ResultValue.objects.order_by("id")))
    )


def _values():
    return ResultValue.objects.filter(report__status=ReportStatus.SIGNED).select_related(
        "report__order__patient", "report__order__performer_institution"
    )


def _studies():
    return ExamOrder.objects.filter(image_count__gt=0).select_related("patient", "exam")


def _patient_param(path: str):
    from lianxin.interfaces.fhir.resources.workflow import patient_param

    return [patient_param("patient", path), patient_param("subject", path)]


_registered = False


def register() -> None:
    """Register the sources with the FHIR façade (once)."""
    global _registered
    if _registered:
        return
    from lianxin.interfaces.fhir.registry import register_resource
    from lianxin.interfaces.fhir.resources.workflow import audit_read, audit_search

    hooks = {"on_read": audit_read, "on_search": audit_search, "ordering": ("-created_at", "-pk")}
    register_resource(
        "ServiceRequest",
        source="exam-order",
        queryset=_orders,
        to_fhir=order_to_service_request,
        search_params=_patient_param("patient"),
        **hooks,
    )
    report_hooks = {
        "on_read": lambda user, row: audit_read(user, row.order),
        "on_search": lambda user, rows, crit: audit_search(user, [r.order for r in rows], crit),
        "ordering": ("-created_at", "-pk"),
    }
    register_resource(
        "DiagnosticReport",
        source="exam-report",
        queryset=_reports,
        to_fhir=report_to_diagnostic_report,
        search_params=_patient_param("order__patient"),
        documentation="Signed exam reports; amendments are new versions with status amended.",
        **report_hooks,
    )
    value_hooks = {
        "on_read": lambda user, row: audit_read(user, row.report.order),
        "on_search": lambda user, rows, crit: audit_search(
            user, [r.report.order for r in rows], crit
        ),
        "ordering": ("-created_at", "-pk"),
    }
    register_resource(
        "Observation",
        source="result-value",
        queryset=_values,
        to_fhir=value_to_observation,
        search_params=_patient_param("report__order__patient"),
        documentation="Lab values of signed exam reports, with UCUM units and critical flags.",
        **value_hooks,
    )
    register_resource(
        "ImagingStudy",
        source="exam-study",
        queryset=_studies,
        to_fhir=order_to_imaging_study,
        search_params=_patient_param("patient"),
        documentation="Studies of exam orders that have images; the id is the order's.",
        **hooks,
    )
    _registered = True
