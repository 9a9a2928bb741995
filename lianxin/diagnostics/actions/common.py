"""Pieces the diagnostics actions share: who acts for which institution, patient access for the
reading institution while it works on an order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.models import CareRelationship, Patient
from lianxin.workforce.models import ATTENDING_OR_ABOVE, Practitioner


def ordering_institution(actor: Any, given: Institution | None) -> Institution:
    """The institution the actor orders for: the one given, or their only one."""
    access = access_for(actor)
    allowed = access.institutions_with(Perm.REQUEST_SERVICE)
    if given is not None:
        if not (access.is_superuser or given.pk in allowed):
            raise NotAllowed(_("You may not order exams on behalf of %(inst)s.") % {"inst": given})
        return given
    if not allowed:
        raise NotAllowed(_("Your role does not order exams."))
    if len(allowed) != 1:
        raise ValidationError(
            {"requester_institution": [_("Say on behalf of which institution you order.")]}
        )
    return Institution.objects.get(pk=next(iter(allowed)))


def check_patient_visible(actor: Any, patient: Patient) -> None:
    if not Patient.objects.visible_to(actor).filter(pk=patient.pk).exists():
        raise ValidationError({"patient": [_("No such patient in your records.")]})


def require_attending(actor: Any) -> Practitioner:
    """Signing needs an attending physician or above (中级及以上)."""
    practitioner = Practitioner.objects.filter(user=actor, is_active=True).first()
    if getattr(actor, "is_superuser", False) and practitioner is None:
        raise NotAllowed(_("Only a practitioner with a title signs reports."))
    if practitioner is None or practitioner.title not in ATTENDING_OR_ABOVE:
        raise NotAllowed(_("Only an attending physician or above may sign a report."))
    return practitioner


def open_care(
    patient: Patient, institution_id: int, *, reason: str, source: Any, actor: Any
) -> CareRelationship:
    """Let the reading institution see the patient while it works on the order."""
    relation = CareRelationship.objects.create(
        patient=patient,
        institution_id=institution_id,
        reason=reason,
        source_type=source._meta.label_lower,
        source_id=str(source.external_id),
    )
    audit.record(
        "patient.care.open",
        actor=actor,
        target=patient,
        institution=institution_id,
        after={"reason": reason, "source": f"{source._meta.label_lower}:{source.external_id}"},
    )
    return relation


def close_care(source: Any, *, ends_at: datetime, institution_id: int | None = None) -> int:
    rows = CareRelationship.objects.filter(
        source_type=source._meta.label_lower,
        source_id=str(source.external_id),
        ends_at__isnull=True,
    )
    if institution_id is not None:
        rows = rows.filter(institution_id=institution_id)
    return rows.update(ends_at=ends_at)


def clean_text(value: str | None) -> str:
    return (value or "").strip()
