"""Institutions and departments as Organization; each institution's site as Location.

- An institution is an Organization of type ``prov`` (a health commission: ``govt``) with its
  tier as a second type; its code (医疗机构登记号) is the identifier. ``partOf`` is the
  supervising institution (a village clinic → its township centre) or else the lead of the
  community it belongs to (a county community first), unless it leads that community itself.
- A department is an Organization of type ``dept`` whose ``partOf`` is its institution; its code
  is an identifier in a system of its institution's own.
- An institution's site is a Location with the same id as the institution's Organization,
  with its address, position and ``managingOrganization``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.organization import Organization

from lianxin.interfaces.fhir import rules
from lianxin.interfaces.fhir.builders import concept, identifier, phone, reference
from lianxin.interfaces.fhir.registry import BuildContext, SearchParam, register_resource
from lianxin.interfaces.fhir.search import parse_reference, parse_token
from lianxin.network.models import (
    CommunityKind,
    CommunityMember,
    Department,
    Institution,
    Tier,
)

NOTHING = Q(pk__in=[])


def string_param(name: str, fields: tuple[str, ...], documentation: str) -> SearchParam:
    """A string parameter matching any of ``fields``: contains by default, or ``:exact``."""

    def to_q(values: list[str], modifier: str | None) -> Q:
        lookup = "exact" if modifier == "exact" else "icontains"
        condition = Q()
        for value in values:
            for field in fields:
                condition |= Q(**{f"{field}__{lookup}": value})
        return condition

    return SearchParam(name, "string", documentation, to_q, frozenset({"exact", "contains"}))


# --- Organization from Institution -------------------------------------------------------------


def _institution_queryset():
    return Institution.objects.select_related("parent").prefetch_related(
        Prefetch(
            "community_memberships",
            queryset=CommunityMember.objects.select_related("community__lead"),
        )
    )


def _organization_type(tier: str) -> str:
    return rules.ORGANIZATION_TYPE_BY_TIER.get(tier, rules.ORGANIZATION_TYPE_DEFAULT)


def part_of(institution: Institution) -> Institution | None:
    """The organisation an institution is part of: its supervisor, else its community's lead."""
    if institution.parent_id:
        return institution.parent
    memberships = sorted(
        institution.community_memberships.all(),
        key=lambda m: (m.community.kind != CommunityKind.COUNTY, m.community_id),
    )
    for membership in memberships:
        if membership.community.lead_id != institution.pk:
            return membership.community.lead
    return None


def institution_to_organization(institution: Institution, context: BuildContext) -> Organization:
    org_type = _organization_type(institution.tier)
    data: dict[str, Any] = {
        "id": str(institution.external_id),
        "active": institution.is_active,
        "identifier": [identifier(rules.INSTITUTION_CODE, institution.code, use="official")],
        "type": [
            concept(rules.ORGANIZATION_TYPE, org_type, rules.ORGANIZATION_TYPE_DISPLAY[org_type]),
            concept(rules.INSTITUTION_TIER, institution.tier, institution.get_tier_display()),
        ],
        "name": institution.name,
    }
    if institution.short_name and institution.short_name != institution.name:
        data["alias"] = [institution.short_name]
    if institution.phone:
        data["telecom"] = [phone(institution.phone, "work")]
    if institution.address:
        data["address"] = [{"use": "work", "text": institution.address}]
    parent = part_of(institution)
    if parent is not None:
        data["partOf"] = reference("Organization", parent.external_id, parent.name)
    return Organization(**data)


def _institution_identifier(values: list[str], modifier: str | None) -> Q:
    condition = Q()
    for value in values:
        system, code = parse_token(value)
        if system in (None, rules.INSTITUTION_CODE.uri):
            condition |= Q(code=code)
    return condition or NOTHING


def _institution_type(values: list[str], modifier: str | None) -> Q:
    condition = Q()
    for value in values:
        system, code = parse_token(value)
        if system in (None, rules.ORGANIZATION_TYPE.uri):
            if code == "govt":
                condition |= Q(tier=Tier.COMMISSION)
            elif code == rules.ORGANIZATION_TYPE_DEFAULT:
                condition |= ~Q(tier=Tier.COMMISSION)
        if system in (None, rules.INSTITUTION_TIER.uri) and code in Tier.values:
            condition |= Q(tier=code)
    return condition or NOTHING


def _institution_partof(values: list[str], modifier: str | None) -> Q:
    condition = Q()
    for value in values:
        key = parse_reference(value, "partof", ["Organization"])
        led = CommunityMember.objects.filter(community__lead__external_id=key).values(
            "member_institution_id"
        )
        condition |= Q(parent__external_id=key) | (
            Q(parent__isnull=True, pk__in=led) & ~Q(external_id=key)
        )
    return condition


def _department_queryset():
    return Department.objects.select_related("institution")


def department_to_organization(department: Department, context: BuildContext) -> Organization:
    institution = department.institution
    data: dict[str, Any] = {
        "id": str(department.external_id),
        "active": department.is_active,
        "identifier": [identifier(rules.department_code_system(institution.code), department.code)],
        "type": [
            concept(
                rules.ORGANIZATION_TYPE,
                rules.ORGANIZATION_TYPE_DEPARTMENT,
                rules.ORGANIZATION_TYPE_DISPLAY[rules.ORGANIZATION_TYPE_DEPARTMENT],
                text=department.get_kind_display(),
            )
        ],
        "name": department.name,
        "partOf": reference("Organization", institution.external_id, institution.name),
    }
    if department.phone:
        data["telecom"] = [phone(department.phone, "work")]
    return Organization(**data)


def _department_identifier(values: list[str], modifier: str | None) -> Q:
    condition = Q()
    for value in values:
        system, code = parse_token(value)
        if system is None:
            condition |= Q(code=code)
        elif system.startswith(rules.RECORD_NUMBER_PREFIX) and system.endswith(":department"):
            institution_code = system[len(rules.RECORD_NUMBER_PREFIX) : -len(":department")]
            condition |= Q(code=code, institution__code=institution_code)
    return condition or NOTHING


def _department_type(values: list[str], modifier: str | None) -> Q:
    for value in values:
        system, code = parse_token(value)
        if system in (None, rules.ORGANIZATION_TYPE.uri) and code == "dept":
            return Q()
    return NOTHING


def _department_partof(values: list[str], modifier: str | None) -> Q:
    keys = [parse_reference(value, "partof", ["Organization"]) for value in values]
    return Q(institution__external_id__in=keys)


# --- Location from Institution -----------------------------------------------------------------


def institution_to_location(institution: Institution, context: BuildContext) -> Location:
    data: dict[str, Any] = {
        "id": str(institution.external_id),
        "status": "active" if institution.is_active else "inactive",
        "mode": "instance",
        "name": institution.name,
        "physicalType": concept(rules.LOCATION_PHYSICAL_TYPE, "si", "Site"),
        "managingOrganization": reference(
            "Organization", institution.external_id, institution.name
        ),
    }
    if institution.short_name and institution.short_name != institution.name:
        data["alias"] = [institution.short_name]
    if institution.address:
        data["address"] = {"use": "work", "text": institution.address}
    if institution.phone:
        data["telecom"] = [phone(institution.phone, "work")]
    if institution.latitude is not None and institution.longitude is not None:
        data["position"] = {
            "latitude": institution.latitude,
            "longitude": institution.longitude,
        }
    return Location(**data)


def _location_organization(values: list[str], modifier: str | None) -> Q:
    keys = [parse_reference(value, "organization", ["Organization"]) for value in values]
    return Q(external_id__in=keys)


def register() -> None:
    identifier_doc = (
        f"Institution code ({rules.INSTITUTION_CODE.uri}|code) or department code "
        f"({rules.RECORD_NUMBER_PREFIX}<institution code>:department|code); a bare value matches "
        "either."
    )
    type_doc = (
        "prov, govt or dept (organization-type), or an institution tier "
        f"({rules.INSTITUTION_TIER.uri}|county_hospital)."
    )
    partof_doc = "Organization/<id>: members, supervised institutions and departments of it."
    name_doc = "Name contains the text (default, :contains) or equals it (:exact)."
    register_resource(
        "Organization",
        source="institution",
        queryset=_institution_queryset,
        to_fhir=institution_to_organization,
        ordering=("division_code", "name", "pk"),
        documentation="Institutions (type prov/govt) and their departments (type dept).",
        search_params=[
            string_param("name", ("name", "short_name"), name_doc),
            SearchParam("identifier", "token", identifier_doc, _institution_identifier),
            SearchParam("type", "token", type_doc, _institution_type),
            SearchParam("partof", "reference", partof_doc, _institution_partof),
        ],
    )
    register_resource(
        "Organization",
        source="department",
        queryset=_department_queryset,
        to_fhir=department_to_organization,
        ordering=("institution_id", "code", "pk"),
        search_params=[
            string_param("name", ("name",), name_doc),
            SearchParam("identifier", "token", identifier_doc, _department_identifier),
            SearchParam("type", "token", type_doc, _department_type),
            SearchParam("partof", "reference", partof_doc, _department_partof),
        ],
    )
    register_resource(
        "Location",
        source="institution",
        queryset=lambda: Institution.objects.all(),
        to_fhir=institution_to_location,
        ordering=("division_code", "name", "pk"),
        documentation="The site of each institution; its id is the institution's id.",
        search_params=[
            string_param("name", ("name", "short_name"), name_doc),
            SearchParam(
                "organization",
                "reference",
                "Organization/<id> of the institution that manages the site.",
                _location_organization,
            ),
        ],
    )
