"""Pieces the referral and consultation actions share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.inputs import is_resolved
from lianxin.core.permissions import Perm
from lianxin.network.models import Department, Institution
from lianxin.patients.models import CareRelationship, Patient
from lianxin.workforce.models import Practitioner


def requesting_institution(actor: Any, given: Institution | None) -> Institution:
    """The institution the actor requests for: the one given, or their only one."""
    access = access_for(actor)
    allowed = access.institutions_with(Perm.REQUEST_SERVICE)
    if given is not None:
        if not (access.is_superuser or given.pk in allowed):
            raise NotAllowed(
                _("You may not send requests on behalf of %(inst)s.") % {"inst": given}
            )
        return given
    if len(allowed) != 1:
        raise ValidationError(
            {"requester_institution": [_("Say on behalf of which institution you send this.")]}
        )
    return Institution.objects.get(pk=next(iter(allowed)))


def check_patient_visible(actor: Any, patient: Patient) -> None:
    """The patient is in the actor's records (once: a row the scoped lookup resolved is)."""
    if is_resolved(patient, actor):
        return
    if not Patient.objects.visible_to(actor).filter(pk=patient.pk).exists():
        raise ValidationError({"patient": [_("No such patient in your records.")]})


def check_reachable(actor: Any, institution: Institution, field: str) -> None:
    """The receiving institution must be in the actor's network (community or alliance)."""
    reach = access_for(actor).registry_institution_ids
    if institution.pk not in reach and not access_for(actor).is_superuser:
        raise ValidationError({field: [_("This institution is not in your medical community.")]})
    if not institution.is_active:
        raise ValidationError({field: [_("This institution is not active.")]})


def check_department(department: Department | None, institution: Institution, field: str) -> None:
    if department is not None and department.institution_id != institution.pk:
        raise ValidationError({field: [_("This department belongs to another institution.")]})


def check_practitioner(
    practitioner: Practitioner | None, institution: Institution, field: str
) -> None:
    if practitioner is not None and practitioner.institution_id != institution.pk:
        raise ValidationError({field: [_("This doctor works at another institution.")]})


def practitioner_of(actor: Any) -> Practitioner | None:
    return Practitioner.objects.filter(user=actor).first()


def open_care(
    patient: Patient, institution: Institution, *, reason: str, source: Any, actor: Any
) -> CareRelationship:
    """Let ``institution`` see the patient while the item lasts (DESIGN §5: a party to it)."""
    relation = CareRelationship.objects.create(
        patient=patient,
        institution=institution,
        reason=reason,
        source_type=source._meta.label_lower,
        source_id=str(source.external_id),
    )
    audit.record(
        "patient.care.open",
        actor=actor,
        target=patient,
        institution=institution,
        after={"reason": reason, "source": f"{source._meta.label_lower}:{source.external_id}"},
    )
    return relation


def close_care(source: Any, *, ends_at: datetime) -> int:
    """End the care relationships an item opened, at ``ends_at``."""
    return CareRelationship.objects.filter(
        source_type=source._meta.label_lower,
        source_id=str(source.external_id),
        ends_at__isnull=True,
    ).update(ends_at=ends_at)


def clean_text(value: str | None) -> str:
    return (value or "").strip()
