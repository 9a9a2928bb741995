"""The CapabilityStatement, built from the registry so it lists exactly what is served."""

from __future__ import annotations

import datetime

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from lianxin.interfaces.fhir.registry import resource_types
from lianxin.interfaces.fhir.search import DEFAULT_COUNT, MAX_COUNT

# The façade speaks R4 (4.0.1). Resources are validated with the fhir.resources R4B models,
# which for the types served here have the same elements as R4.
FHIR_VERSION = "4.0.1"
PUBLISHED = datetime.date(2025, 1, 1)


def capability_statement(base_url: str) -> CapabilityStatement:
    resources = []
    for rtype in resource_types():
        resources.append(
            {
                "type": rtype.name,
                "documentation": rtype.documentation or None,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "versioning": "no-version",
                "readHistory": False,
                "updateCreate": False,
                "searchParam": [
                    {"name": param.name, "type": param.type, "documentation": param.documentation}
                    for param in rtype.search_params.values()
                ],
            }
        )
    return CapabilityStatement(
        status="active",
        date=PUBLISHED,
        publisher="Lianxin",
        kind="instance",
        software={"name": "Lianxin"},
        implementation={"description": "Lianxin FHIR R4 read/search façade", "url": base_url},
        fhirVersion=FHIR_VERSION,
        format=["json", "application/fhir+json"],
        rest=[
            {
                "mode": "server",
                "documentation": (
                    f"Searches return searchset Bundles of {DEFAULT_COUNT} entries by default "
                    f"(_count up to {MAX_COUNT}, _offset to page). Unknown search parameters "
                    "are rejected with 400 unless the request says Prefer: handling=lenient."
                ),
                "security": {
                    "cors": False,
                    "description": (
                        "Every interaction except /metadata needs a signed-in session or the "
                        "header 'Authorization: Token <key>'. Rows outside the user's scope "
                        "answer 404."
                    ),
                },
                "resource": resources,
            }
        ],
    )
