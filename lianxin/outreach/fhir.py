"""Postings as FHIR ``PractitionerRole``s, next to each practitioner's primary post.

Registered as a second source of the type (``interfaces.fhir.registry``): a posting's role has the
posting's id, the host as ``organization`` and ``location``, the host department in the
department extension, the posting's ``period``, and the kind of posting (驻点, 巡诊 …) in an
extension of its own. A cancelled or finished posting is served with ``active`` false.
"""

from __future__ import annotations

from django.utils import timezone
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.practitionerrole import PractitionerRole

from lianxin.interfaces.fhir.registry import BuildContext, get_type, register_resource
from lianxin.interfaces.fhir.resources.practitioner import (
    organization_param,
    practitioner_param,
    practitioner_role,
    specialty_param,
)
from lianxin.outreach.models import Posting
from lianxin.outreach.rules import PostingKind

POSTING_KIND_EXTENSION = "urn:lianxin:fhir:StructureDefinition:practitionerrole-posting-kind"
POSTING_KIND_SYSTEM = "urn:lianxin:fhir:CodeSystem:posting-kind"
HOME_EXTENSION = "urn:lianxin:fhir:StructureDefinition:practitionerrole-sent-by"


def posting_to_role(posting: Posting, context: BuildContext) -> PractitionerRole:
    role = practitioner_role(
        id=posting.external_id,
        practitioner=posting.practitioner,
        institution=posting.host_institution,
        department=posting.host_department,
        specialties=posting.practitioner.specialties.all(),
        period=(posting.starts_on, posting.ends_on),
        active=not posting.is_cancelled and posting.ends_on >= timezone.localdate(),
    )
    home = posting.home_institution
    role.extension = [
        *(role.extension or []),
        Extension(
            url=POSTING_KIND_EXTENSION,
            valueCoding={
                "system": POSTING_KIND_SYSTEM,
                "code": posting.kind,
                "display": str(PostingKind(posting.kind).label),
            },
        ),
        Extension(
            url=HOME_EXTENSION,
            valueReference={"reference": f"Organization/{home.external_id}", "display": home.name},
        ),
    ]
    return role


def register() -> None:
    # The façade registers the primary posts when its app is ready; doing it first here keeps
    # them the first source of the type (the call is idempotent).
    from lianxin.interfaces.fhir.resources import register_all

    register_all()
    existing = get_type("PractitionerRole")
    if existing is not None and any(source.key == "posting" for source in existing.sources):
        return
    register_resource(
        "PractitionerRole",
        source="posting",
        queryset=lambda: Posting.objects.select_related(
            "practitioner", "home_institution", "host_institution", "host_department"
        ).prefetch_related("practitioner__specialties"),
        to_fhir=posting_to_role,
        ordering=("starts_on", "pk"),
        search_params=[
            practitioner_param("practitioner"),
            organization_param("host_institution", "host_department"),
            specialty_param("practitioner__specialties", Posting),
        ],
    )
