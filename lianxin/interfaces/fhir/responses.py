"""FHIR JSON responses: resources, OperationOutcomes and the content type."""

from __future__ import annotations

from django.http import HttpResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
# Accepted values of _format: FHIR's short name and the JSON media types.
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


def fhir_response(resource: Resource, status: int = 200) -> HttpResponse:
    return HttpResponse(
        resource.model_dump_json(exclude_none=True), content_type=CONTENT_TYPE, status=status
    )


def outcome(status: int, code: str, message: str, severity: str = "error") -> HttpResponse:
    """An OperationOutcome with one issue; ``code`` is from the FHIR issue-type value set."""
    resource = OperationOutcome(
        issue=[{"severity": severity, "code": code, "diagnostics": message}]
    )
    return fhir_response(resource, status)
