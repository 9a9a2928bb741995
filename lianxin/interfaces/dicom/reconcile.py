"""The reconciliation queue: studies that arrived without an order Lianxin could find (no or an
unknown accession number, and no single open order of the patient, day and modality), and the
user's step that attaches one to its exam order.

Who reconciles: a member with ``PERFORM_SERVICE`` at the institution whose AE sent the study, or
at the institution of a shared centre that serves that institution by a service agreement (the
county imaging centre for a township's CT). Anyone else does not see the study (a 404).

Attaching does what automatic linking does: the study gets the order and its patient, and the
order moves to "performed" through ``do_record_exam_images`` (the diagnostics action), with an
audit row naming the user in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.diagnostics.actions import do_record_exam_images
from lianxin.diagnostics.models import ExamOrder, ServiceAgreement
from lianxin.interfaces.dicom.rules import EXAM_MODALITY_FOR
from lianxin.interfaces.models import LinkStatus, Study

#: an order still waiting for its images
WAITING = (Status.REQUESTED, Status.ACCEPTED)


def reconciling_institution_ids(user: Any) -> frozenset[int] | None:
    """The sending institutions whose unlinked studies ``user`` reconciles (``None``: all, for a
    superuser)."""
    access = access_for(user)
    if access.is_superuser:
        return None
    own = access.institutions_with(Perm.PERFORM_SERVICE)
    if not own:
        return frozenset()
    served = ServiceAgreement.objects.filter(
        centre__institution_id__in=own, is_active=True
    ).values_list("site_id", flat=True)
    return frozenset(own) | frozenset(served)


def may_reconcile(user: Any) -> bool:
    access = access_for(user)
    return access.is_superuser or bool(access.institutions_with(Perm.PERFORM_SERVICE))


def queue_for(user: Any, *, waiting: bool = True) -> QuerySet[Study]:
    """The studies waiting for ``user`` to attach them, newest first (``waiting=False``: also
    those already linked, so that a second click hears "already linked", not "not found").
    One query: the served sites are a subquery."""
    rows = Study.objects.all()
    if waiting:
        rows = rows.filter(link_status=LinkStatus.UNMATCHED, order__isnull=True)
    access = access_for(user)
    if not access.is_superuser:
        own = access.institutions_with(Perm.PERFORM_SERVICE)
        served = ServiceAgreement.objects.filter(
            centre__institution_id__in=own, is_active=True
        ).values("site_id")
        rows = rows.filter(Q(source_institution_id__in=own) | Q(source_institution_id__in=served))
    return rows.select_related("source_institution", "source_ae", "patient").order_by(
        "-received_at", "-id"
    )


def exam_modalities(study: Study) -> set[str]:
    """The exam modalities (CT, MR, US, DR, ECG …) the study's DICOM modalities stand for."""
    found = {EXAM_MODALITY_FOR.get(m) for m in study.modalities.split("\\") if m}
    return {m for m in found if m}


def _site_filter(institution_id: int) -> Q:
    return (
        Q(requester_institution_id=institution_id)
        | Q(performer_institution_id=institution_id)
        | Q(centre_institution_id=institution_id)
    )


def candidate_orders(user: Any, study: Study) -> QuerySet[ExamOrder]:
    """Orders the page offers for the study: visible to the user, of the sending institution,
    of the study's modality, still waiting for images; the patient's own when the images name a
    known patient. Display only: :func:`do_attach_study` decides."""
    rows = (
        ExamOrder.objects.visible_to(user)
        .filter(_site_filter(study.source_institution_id), status__in=WAITING)
        .filter(studies__isnull=True)
        .select_related("patient", "exam", "requester_institution")
    )
    modalities = exam_modalities(study)
    if modalities:
        rows = rows.filter(exam__modality__in=modalities)
    if study.patient_id:
        rows = rows.filter(patient_id=study.patient_id)
    return rows.order_by("-created_at", "-id")


def do_attach_study(
    *,
    actor: Any,
    study: Study,
    order: ExamOrder,
    note: str = "",
    other_name_confirmed: bool = False,
) -> Study:
    """Attach an unlinked study to its exam order (a person's decision, audited); the order is
    then performed as on automatic linking. Field errors name ``order``; a name in the images
    (in Chinese characters) other than the order's patient's needs ``other_name_confirmed``."""
    access = access_for(actor)
    with transaction.atomic():
        # Only the study's row is locked (PostgreSQL locks no nullable side of an outer join).
        locked = (
            Study.objects.select_for_update(of=("self",))
            .select_related("source_ae", "source_institution", "patient")
            .get(pk=study.pk)
        )
        ids = reconciling_institution_ids(actor)
        if ids is not None and locked.source_institution_id not in ids:
            raise NotAllowed(_("You may not reconcile the images of this institution."))
        if locked.order_id is not None or locked.link_status != LinkStatus.UNMATCHED:
            raise Conflict(_("These images are already linked to an order."))
        order = (
            ExamOrder.objects.select_for_update(of=("self",))
            .select_related("patient", "exam")
            .get(pk=order.pk)
        )
        if not (
            access.is_superuser
            or access.has_perm(Perm.PERFORM_SERVICE, order.performer_institution_id)
            or access.has_perm(Perm.PERFORM_SERVICE, order.requester_institution_id)
        ):
            raise NotAllowed(_("You may not record this exam as performed."))
        _check_order(locked, order)
        differs = name_differs(locked, order)
        if differs and not other_name_confirmed:
            raise ValidationError(
                {
                    "other_name_confirmed": [
                        _(
                            "The images name %(images)s, exam %(acc)s is for %(patient)s: "
                            "check the patient, and confirm to attach anyway."
                        )
                        % {
                            "images": locked.dicom_patient_name,
                            "acc": order.accession_number,
                            "patient": order.patient.name,
                        }
                    ]
                }
            )
        before = {
            "link": locked.link_status,
            "patient": str(locked.patient.external_id) if locked.patient_id else None,
        }
        locked.order, locked.patient, locked.link_status = order, order.patient, LinkStatus.ATTACHED
        locked.save(update_fields=["order", "patient", "link_status", "updated_at"])
        audit.record(
            "interfaces.dicom.study.attach",
            actor=actor,
            target=locked,
            institution=order.performer_institution_id,
            before=before,
            after={
                "link": LinkStatus.ATTACHED,
                "order": str(order.external_id),
                "accession_number": order.accession_number,
                "patient": str(order.patient.external_id),
                "accession_in_images": locked.accession_number,
                "patient_id_in_images": locked.dicom_patient_id,
                "note": note,
                "other_name_confirmed": differs,
            },
        )
        sender = locked.source_ae or locked.source_institution
        source = getattr(sender, "ae_title", None) or str(sender)
        do_record_exam_images(
            order=order,
            study_uid=locked.study_uid,
            image_count=locked.instance_count,
            source=source,
            now=timezone.now(),
        )
    return locked


def _han(text: str) -> str:
    return "".join(ch for ch in text or "" if "\u4e00" <= ch <= "\u9fff")


def name_differs(study: Study, order: ExamOrder) -> bool:
    """Whether the name typed into the images, in Chinese characters, is not the patient's of
    the order (a romanised name alone is not compared)."""
    typed = _han(study.dicom_patient_name)
    return bool(typed) and typed != _han(order.patient.name)


def _check_order(study: Study, order: ExamOrder) -> None:
    if order.status not in WAITING or order.studies.exists():
        raise ValidationError(
            {
                "order": [
                    _(
                        "Exam %(acc)s has already been performed or closed: choose an order "
                        "still waiting for its images."
                    )
                    % {"acc": order.accession_number}
                ]
            }
        )
    sites = ExamOrder.objects.filter(_site_filter(study.source_institution_id))
    if not sites.filter(pk=order.pk).exists():
        raise ValidationError(
            {
                "order": [
                    _("Exam %(acc)s is not an order of %(inst)s, which sent these images.")
                    % {"acc": order.accession_number, "inst": study.source_institution}
                ]
            }
        )
    modalities = exam_modalities(study)
    if modalities and order.exam.modality not in modalities:
        raise ValidationError(
            {
                "order": [
                    _("The images are %(images)s; exam %(acc)s is %(exam)s (%(modality)s).")
                    % {
                        "images": study.modalities.replace("\\", ", "),
                        "acc": order.accession_number,
                        "exam": order.exam.name,
                        "modality": order.exam.modality,
                    }
                ]
            }
        )
    if study.patient_id and study.patient_id != order.patient_id:
        raise ValidationError(
            {
                "order": [
                    _(
                        "The images name %(images)s; exam %(acc)s is for another patient "
                        "(%(patient)s)."
                    )
                    % {
                        "images": study.patient.name,
                        "acc": order.accession_number,
                        "patient": order.patient.name,
                    }
                ]
            }
        )
