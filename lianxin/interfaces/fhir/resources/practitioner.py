"""Practitioners, and their posts as PractitionerRole.

Each practitioner's primary post (institution, department, specialties) is a PractitionerRole
whose id is the practitioner's id. Other posts come from other sources registered on the same
type (e.g. the outreach app's stationing postings, each with its own id and a ``period``); they
build their resources with ``practitioner_role`` so that every role looks the same to a client.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from lianxin.interfaces.fhir import rules
from lianxin.interfaces.fhir.builders import concept, identifier, phone, reference
from lianxin.interfaces.fhir.registry import BuildContext, SearchParam, register_resource
from lianxin.interfaces.fhir.resources.organization import NOTHING, string_param
from lianxin.interfaces.fhir.search import parse_reference, parse_token
from lianxin.network.models import Department, Institution
from lianxin.workforce.models import Practitioner, Specialty

DEPARTMENT_EXTENSION = "urn:lianxin:fhir:StructureDefinition:practitionerrole-department"


def _licence(practitioner: Practitioner) -> dict[str, Any]:
    return identifier(
        rules.PRACTITIONER_LICENCE,
        practitioner.licence_number,
        use="official",
        type_code=rules.LICENCE_TYPE,
        type_system=rules.IDENTIFIER_TYPE,
    )


def practitioner_to_fhir(practitioner: Practitioner, context: BuildContext) -> FhirPractitioner:
    qualifications = [
        {"code": concept(rules.TITLE, practitioner.title, practitioner.get_title_display())}
    ]
    data: dict[str, Any] = {
        "id": str(practitioner.external_id),
        "active": practitioner.is_active,
        "name": [{"use": "official", "text": practitioner.name}],
        "gender": rules.PRACTITIONER_GENDER.get(practitioner.sex, "unknown"),
        "qualification": qualifications,
    }
    if practitioner.licence_number:
        data["identifier"] = [_licence(practitioner)]
        qualifications.append(
            {
                "identifier": [_licence(practitioner)],
                "code": concept(rules.QUALIFICATION, "practising-licence", "执业证书"),
                "issuer": {"display": "卫生健康行政部门"},
            }
        )
    if practitioner.phone:
        data["telecom"] = [phone(practitioner.phone, "work")]
    return FhirPractitioner(**data)


def _practitioner_identifier(values: list[str], modifier: str | None) -> Q:
    condition = Q()
    for value in values:
        system, code = parse_token(value)
        if system in (None, rules.PRACTITIONER_LICENCE.uri):
            condition |= Q(licence_number=code)
    return condition or NOTHING


def practitioner_role(
    *,
    id: Any,
    practitioner: Practitioner,
    institution: Institution,
    department: Department | None = None,
    specialties: Iterable[Specialty] = (),
    period: tuple[datetime.date | None, datetime.date | None] | None = None,
    active: bool = True,
    profession: str | None = None,
) -> PractitionerRole:
    """One post of a practitioner at an institution (and department), for any source of posts.

    The department goes into an extension (PractitionerRole has no department element; the
    department is also served as an Organization of type ``dept``), the institution's site is
    the location, and ``period`` bounds a posting such as a stationing.
    """
    data: dict[str, Any] = {
        "id": str(id),
        "active": active,
        "practitioner": reference("Practitioner", practitioner.external_id, practitioner.name),
        "organization": reference("Organization", institution.external_id, institution.name),
        "location": [reference("Location", institution.external_id, institution.name)],
    }
    role_code = rules.ROLE_CODE_BY_PROFESSION.get(profession or practitioner.profession)
    if role_code:
        data["code"] = [concept(rules.PRACTITIONER_ROLE, *role_code)]
    specialty_concepts = [concept(rules.SPECIALTY, s.code, s.name) for s in specialties]
    if specialty_concepts:
        data["specialty"] = specialty_concepts
    if department is not None:
        data["extension"] = [
            {
                "url": DEPARTMENT_EXTENSION,
                "valueReference": reference(
                    "Organization", department.external_id, department.name
                ),
            }
        ]
    if period is not None:
        start, end = period
        data["period"] = {
            key: day.isoformat() for key, day in (("start", start), ("end", end)) if day
        }
    return PractitionerRole(**data)


def primary_post_to_role(practitioner: Practitioner, context: BuildContext) -> PractitionerRole:
    return practitioner_role(
        id=practitioner.external_id,
        practitioner=practitioner,
        institution=practitioner.institution,
        department=practitioner.department,
        specialties=practitioner.specialties.all(),
        active=practitioner.is_active,
    )


def practitioner_param(path: str = "") -> SearchParam:
    """``practitioner=Practitioner/<id>``; ``path`` leads from the source's row to the
    practitioner ("" when the row is the practitioner)."""
    field = f"{path}__external_id__in" if path else "external_id__in"

    def to_q(values: list[str], modifier: str | None) -> Q:
        keys = [parse_reference(value, "practitioner", ["Practitioner"]) for value in values]
        return Q(**{field: keys})

    return SearchParam("practitioner", "reference", "Practitioner/<id>.", to_q)


def organization_param(institution_path: str, department_path: str) -> SearchParam:
    def to_q(values: list[str], modifier: str | None) -> Q:
        keys = [parse_reference(value, "organization", ["Organization"]) for value in values]
        return Q(**{f"{institution_path}__external_id__in": keys}) | Q(
            **{f"{department_path}__external_id__in": keys}
        )

    return SearchParam(
        "organization",
        "reference",
        "Organization/<id> of the institution, or of the department (type dept).",
        to_q,
    )


def specialty_param(specialties_path: str, row_model: type) -> SearchParam:
    def to_q(values: list[str], modifier: str | None) -> Q:
        codes = []
        for value in values:
            system, code = parse_token(value)
            if system in (None, rules.SPECIALTY.uri):
                codes.append(code)
        if not codes:
            return NOTHING
        matching = row_model._default_manager.filter(
            **{f"{specialties_path}__code__in": codes}
        ).values("pk")
        return Q(pk__in=matching)

    return SearchParam(
        "specialty",
        "token",
        f"Specialty code of the catalogue of subjects ({rules.SPECIALTY.uri}|03.04).",
        to_q,
    )


def register() -> None:
    register_resource(
        "Practitioner",
        queryset=lambda: Practitioner.objects.all(),
        to_fhir=practitioner_to_fhir,
        ordering=("institution_id", "name", "pk"),
        documentation="Health professionals, with their title (职称) and practising licence.",
        search_params=[
            string_param(
                "name", ("name",), "Name contains the text (default, :contains) or :exact."
            ),
            SearchParam(
                "identifier",
                "token",
                f"Practising licence number ({rules.PRACTITIONER_LICENCE.uri}|value or value).",
                _practitioner_identifier,
            ),
        ],
    )
    register_resource(
        "PractitionerRole",
        source="primary_post",
        queryset=lambda: Practitioner.objects.select_related(
            "institution", "department"
        ).prefetch_related("specialties"),
        to_fhir=primary_post_to_role,
        ordering=("institution_id", "name", "pk"),
        documentation=(
            "Posts of practitioners: the primary post (id = the practitioner's id) and posts "
            "that other modules add."
        ),
        search_params=[
            practitioner_param(),
            organization_param("institution", "department"),
            specialty_param("specialties", Practitioner),
        ],
    )
