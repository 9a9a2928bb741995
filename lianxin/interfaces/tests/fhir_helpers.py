"""Helpers for the FHIR façade tests: requests as a persona, and re-validation of every answer
with the fhir.resources R4B models."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

FHIR_JSON = "application/fhir+json; charset=utf-8"


def reparse(body: bytes | str) -> Any:
    """Parse an answer back into its R4B model; raises if it is not a valid resource."""
    data = json.loads(body)
    model = get_fhir_model_class(data["resourceType"])
    return model.model_validate_json(body)


def fhir_get(client: Client, path: str, params: Any = None, **extra: str):
    """GET a FHIR path; the answer must be FHIR JSON that validates, whatever its status."""
    response = client.get(path, params or {}, **extra)
    assert response["Content-Type"] == FHIR_JSON, (response.status_code, response.content[:200])
    response.resource = reparse(response.content)
    response.data_json = json.loads(response.content)
    return response


def issue_code(response) -> str:
    assert response.data_json["resourceType"] == "OperationOutcome"
    return response.data_json["issue"][0]["code"]


def entry_ids(response) -> list[str]:
    return [entry["resource"]["id"] for entry in response.data_json.get("entry", [])]


def link(response, relation: str) -> str | None:
    for item in response.data_json.get("link", []):
        if item["relation"] == relation:
            return item["url"]
    return None
