"""Pathology specimens tracked by barcode: collected and sent by the site, received, processed
and reported by the centre, one step after another. A frozen section is urgent."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, Conflict, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.core.workflow import CLOSED_STATUSES
from lianxin.diagnostics.actions.common import clean_text
from lianxin.diagnostics.models import SPECIMEN_STEPS, ExamOrder, Specimen, SpecimenStatus
from lianxin.diagnostics.rules import PRIORITY_RANK, Priority

BARCODE_RE = re.compile(r"^[A-Z0-9-]{6,32}$")
# Who records each step: the site sends, the centre receives, processes and reports.
SITE_STEPS = {SpecimenStatus.SENT}


def next_step(specimen: Specimen) -> str | None:
    """The step after the specimen's current one; None once it is reported."""
    index = SPECIMEN_STEPS.index(specimen.status) + 1
    return SPECIMEN_STEPS[index] if index < len(SPECIMEN_STEPS) else None


def step_party(order: ExamOrder, step: str) -> tuple[Perm, int]:
    """The permission, and the institution to hold it at, that recording ``step`` needs."""
    if step in SITE_STEPS:
        return Perm.REQUEST_SERVICE, order.requester_institution_id
    return Perm.PERFORM_SERVICE, order.performer_institution_id


def may_record(actor: Any, specimen: Specimen, step: str | None) -> bool:
    """Whether ``actor`` records ``step`` of this specimen (their side's step)."""
    if step is None:
        return False
    perm, institution = step_party(specimen.order, step)
    return access_for(actor).has_perm(perm, institution)


def do_register_specimen(
    *,
    actor: Any,
    order: ExamOrder,
    barcode: str,
    site: str,
    frozen_section: bool = False,
    collected_at: datetime.datetime | None = None,
) -> Specimen:
    """Label a specimen collected for a pathology order at the ordering site."""
    barcode = clean_text(barcode).upper()
    site = clean_text(site)[:80]
    errors = {}
    if not BARCODE_RE.match(barcode):
        errors["barcode"] = [_("A barcode has 6 to 32 letters, digits or dashes.")]
    if not site:
        errors["site"] = [_("Name the anatomical site.")]
    if errors:
        raise ValidationError(errors)
    if order.centre_type != "pathology":
        raise ValidationError({"order": [_("Only pathology orders have specimens.")]})
    if order.status in CLOSED_STATUSES:
        raise ActionError(_("This order is closed."))
    if not access_for(actor).has_perm(Perm.REQUEST_SERVICE, order.requester_institution_id):
        raise NotAllowed(_("Only the ordering site labels specimens."))
    now = timezone.now()
    try:
        with transaction.atomic():
            specimen = Specimen.objects.create(
                order=order,
                barcode=barcode,
                site=site,
                is_frozen_section=frozen_section or order.exam.code == "FROZEN",
                collected_at=collected_at or now,
            )
            if specimen.is_frozen_section and order.priority == Priority.ROUTINE:
                ExamOrder.objects.filter(pk=order.pk).update(
                    priority=Priority.URGENT, priority_rank=PRIORITY_RANK[Priority.URGENT]
                )
            audit.record(
                "diagnostics.specimen.collect",
                actor=actor,
                target=specimen,
                institution=order.requester_institution_id,
                after={"barcode": barcode, "frozen": specimen.is_frozen_section},
            )
    except IntegrityError as exc:
        raise ValidationError({"barcode": [_("This barcode is already in use.")]}) from exc
    return specimen


def do_advance_specimen(
    *, actor: Any, barcode: str, to: str, now: datetime.datetime | None = None
) -> Specimen:
    """Scan a barcode to record the next step; steps cannot be skipped or repeated."""
    now = now or timezone.now()
    if to not in SPECIMEN_STEPS[1:]:
        raise ValidationError({"to": [_("Choose sent, received, processed or reported.")]})
    with transaction.atomic():
        specimen = (
            Specimen.objects.visible_to(actor)
            .select_for_update()
            .filter(barcode=clean_text(barcode).upper())
            .first()
        )
        if specimen is None:
            raise ValidationError({"barcode": [_("No such specimen in your records.")]})
        order = ExamOrder.objects.get(pk=specimen.order_id)
        perm, institution = step_party(order, to)
        if not access_for(actor).has_perm(perm, institution):
            raise NotAllowed(_("This step is recorded by the other party."))
        expected = next_step(specimen)
        if expected is None:
            raise Conflict(
                _("Specimen %(barcode)s is already reported: it has no further step.")
                % {"barcode": specimen.barcode}
            )
        if to != expected:
            raise Conflict(
                _("Specimen %(barcode)s is %(now)s; its next step is %(next)s, not %(to)s.")
                % {
                    "barcode": specimen.barcode,
                    "now": SpecimenStatus(specimen.status).label.lower(),
                    "next": SpecimenStatus(expected).label.lower(),
                    "to": SpecimenStatus(to).label.lower(),
                }
            )
        before = specimen.status
        specimen.status = to
        setattr(specimen, f"{to}_at", now)
        specimen.save(update_fields=["status", f"{to}_at", "updated_at"])
        audit.record(
            f"diagnostics.specimen.{to}",
            actor=actor,
            target=specimen,
            institution=institution,
            before={"status": before},
            after={"status": to},
        )
    return specimen
