"""Ordering an exam: routing to the centre by service agreement, the accession number, the
recognition decision on prior results, and the steps before reading."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status, create_item, transition
from lianxin.diagnostics.actions.common import (
    check_patient_visible,
    clean_text,
    close_care,
    open_care,
    ordering_institution,
)
from lianxin.diagnostics.models import (
    AccessionCounter,
    Decision,
    ExamItem,
    ExamOrder,
    Recognition,
    ServiceAgreement,
)
from lianxin.diagnostics.rules import PRIORITY_RANK, Priority, RetestReason
from lianxin.network.models import Department, Institution
from lianxin.patients.models import Patient

# Patient access for the reading side lasts a little past the report, for amendments.
CARE_AFTER_REPORT = datetime.timedelta(days=7)
# A scheduled time picked "now" to the minute is up to a minute old when it arrives.
SCHEDULE_GRACE = datetime.timedelta(minutes=5)


def route(site: Institution, exam: ExamItem, day: datetime.date) -> ServiceAgreement:
    """The service agreement that sends this exam from this site to a centre."""
    agreement = (
        ServiceAgreement.objects.in_force(day)
        .filter(site=site, centre__is_active=True)
        .filter(Q(exam=exam) | Q(exam__isnull=True, centre_type=exam.centre_type))
        .select_related("centre")
        # An agreement naming the item wins over one for the whole centre type.
        .order_by(F("exam_id").asc(nulls_last=True), "id")
        .first()
    )
    if agreement is None:
        raise ValidationError(
            {
                "exam": [
                    _("%(site)s has no service agreement for %(exam)s.")
                    % {"site": site.short_name or site.name, "exam": exam.name}
                ]
            }
        )
    return agreement


def next_accession(modality: str, now: datetime.datetime) -> str:
    """CT2611230001: modality, day, and the day's sequence number (counted under a lock)."""
    day = timezone.localdate(now)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                counter, _created = AccessionCounter.objects.select_for_update().get_or_create(
                    prefix=modality, day=day
                )
                counter.last += 1
                counter.save(update_fields=["last"])
                return f"{modality}{day:%y%m%d}{counter.last:04d}"
        except IntegrityError:
            # Another order created the day's counter first; count again under its lock.
            continue
    raise ActionError(_("Could not give an accession number; try again."))


def _priority(exam: ExamItem, priority: str) -> str:
    if priority not in Priority.values:
        raise ValidationError({"priority": [_("Choose a priority from the list.")]})
    if exam.is_urgent and priority == Priority.ROUTINE:
        return Priority.URGENT
    return priority


def check_retest_reason(reason: str, text: str) -> None:
    if reason not in RetestReason.values:
        raise ValidationError(
            {"retest_reason": [_("Recognise a prior result, or give a reason to repeat it.")]}
        )
    if reason == RetestReason.OTHER and not text:
        raise ValidationError({"retest_reason_text": [_("Say why the exam is repeated.")]})


def do_order_exam(
    *,
    actor: Any,
    patient: Patient,
    exam: ExamItem,
    priority: str = Priority.ROUTINE,
    clinical_question: str = "",
    requester_institution: Institution | None = None,
    requester_department: Department | None = None,
    retest_reason: str = "",
    retest_reason_text: str = "",
    now: datetime.datetime | None = None,
) -> ExamOrder:
    """Order an exam at a member site; it is routed to the site's centre for the item.

    When the patient has a recognisable prior result of the item, a new order needs a national
    re-test reason (the decision is recorded for the recognition figures).
    """
    from lianxin.diagnostics.queries import recognisable_results

    now = now or timezone.now()
    site = ordering_institution(actor, requester_institution)
    if not exam.is_active:
        raise ValidationError({"exam": [_("This exam is no longer offered.")]})
    priority = _priority(exam, priority)
    check_patient_visible(actor, patient)
    if requester_department is not None and requester_department.institution_id != site.pk:
        raise ValidationError(
            {"requester_department": [_("This department belongs to another institution.")]}
        )
    agreement = route(site, exam, timezone.localdate(now))
    priors = list(recognisable_results(patient, exam, site, now=now)[:1])
    retest_reason_text = clean_text(retest_reason_text)[:200]
    if priors:
        check_retest_reason(retest_reason, retest_reason_text)
    else:
        retest_reason, retest_reason_text = "", ""

    with transaction.atomic():
        order = create_item(
            ExamOrder,
            actor=actor,
            now=now,
            business_status="ordered",
            patient=patient,
            exam=exam,
            accession_number=next_accession(exam.modality, now),
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            centre_type=exam.centre_type,
            centre=agreement.centre,
            centre_institution_id=agreement.centre.institution_id,
            requester_institution=site,
            requester_department=requester_department,
            performer_institution_id=agreement.centre.institution_id,
            performer_department=agreement.centre,
            clinical_question=clean_text(clinical_question),
            retest_reason=retest_reason,
        )
        if order.performer_institution_id != site.pk:
            open_care(
                patient,
                order.performer_institution_id,
                reason=_("Exam %(acc)s") % {"acc": order.accession_number},
                source=order,
                actor=actor,
            )
        if priors:
            decision = Recognition.objects.create(
                patient=patient,
                exam=exam,
                prior_report=priors[0],
                decision=Decision.DECLINED,
                reason=retest_reason,
                reason_text=retest_reason_text,
                doctor=actor,
                institution=site,
                department=requester_department,
                new_order=order,
            )
            audit.record(
                "diagnostics.recognition.decline",
                actor=actor,
                target=decision,
                institution=site,
                after={"reason": retest_reason, "prior": str(priors[0].external_id)},
            )
    return order


def do_schedule_exam(
    *,
    actor: Any,
    order: ExamOrder,
    scheduled_at: datetime.datetime,
    expected_version: int | None = None,
) -> ExamOrder:
    """The centre books the exam for a time to come (a few minutes' grace for a time picked to
    the minute, or a clock a little ahead)."""
    if scheduled_at is None:
        raise ValidationError({"scheduled_at": [_("Give a time.")]})
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at)
    if scheduled_at < timezone.now() - SCHEDULE_GRACE:
        raise ValidationError(
            {"scheduled_at": [_("The time is in the past: schedule the exam for a time to come.")]}
        )
    return transition(
        order,
        "schedule",
        actor=actor,
        expected_version=expected_version,
        changes={"scheduled_at": scheduled_at},
    )


def do_perform_exam(
    *,
    actor: Any,
    order: ExamOrder,
    image_count: int = 0,
    study_uid: str = "",
    critical_suspected: bool = False,
    now: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> ExamOrder:
    """The exam was done (images taken, ECG recorded, specimen received): it waits for a reader.
    A technician who suspects a critical finding flags it to the top of the worklist."""
    now = now or timezone.now()
    if image_count < 0:
        raise ValidationError({"image_count": [_("The number of images cannot be negative.")]})
    changes: dict[str, Any] = {"performed_at": now, "image_count": image_count}
    if study_uid:
        changes["study_uid"] = clean_text(study_uid)[:64]
    if critical_suspected:
        changes["has_critical"] = True
    return transition(
        order, "perform", actor=actor, now=now, expected_version=expected_version, changes=changes
    )


def do_record_exam_images(
    *,
    order: ExamOrder,
    study_uid: str,
    image_count: int,
    source: str,
    now: datetime.datetime | None = None,
) -> ExamOrder:
    """Images (or an ECG) of the order arrived from a modality through the DICOM service.

    The first arrival performs an ordered or scheduled exam, as the platform, for the ordering
    site (a history step with its audit row); later arrivals only bring the image count up to
    date. ``source`` names the sender (the AE title) for the history note.
    """
    now = now or timezone.now()
    changes: dict[str, Any] = {"image_count": max(image_count, 0)}
    if study_uid and not order.study_uid:
        changes["study_uid"] = clean_text(study_uid)[:64]
    if order.status in (Status.REQUESTED, Status.ACCEPTED):
        changes["performed_at"] = now
        try:
            return transition(
                order,
                "perform",
                actor=None,
                acting_for=order.requester_institution_id,
                note=_("Images received from %(ae)s") % {"ae": source},
                now=now,
                changes=changes,
            )
        except ActionError:
            # Performed meanwhile by a person or another association: only the count is left.
            changes.pop("performed_at")
    ExamOrder.objects.filter(pk=order.pk).update(**changes)
    for field, value in changes.items():
        setattr(order, field, value)
    return order


def do_cancel_exam_order(
    *, actor: Any, order: ExamOrder, reason: str, expected_version: int | None = None
) -> ExamOrder:
    with transaction.atomic():
        transition(order, "cancel", actor=actor, reason=reason, expected_version=expected_version)
        close_care(order, ends_at=timezone.now())
    return order


def do_mark_report_viewed(
    *, actor: Any, order: ExamOrder, now: datetime.datetime | None = None
) -> bool:
    """The ordering site has opened the signed report (the first time counts); returns whether
    this was the first view."""
    access = access_for(actor)
    if not access.has_perm(Perm.VIEW_PATIENT, order.requester_institution_id):
        raise NotAllowed(_("Only the ordering site marks a report as seen."))
    if order.status != Status.COMPLETED:
        raise ActionError(_("There is no signed report yet."))
    now = now or timezone.now()
    with transaction.atomic():
        updated = ExamOrder.objects.filter(pk=order.pk, viewed_at__isnull=True).update(
            viewed_at=now, updated_at=now
        )
        if not updated:
            return False
        audit.record(
            "diagnostics.examorder.viewed",
            actor=actor,
            target=order,
            institution=order.requester_institution_id,
            after={"viewed_at": now},
        )
    order.viewed_at = now
    return True


def care_ends(now: datetime.datetime) -> datetime.datetime:
    return now + CARE_AFTER_REPORT


def do_record_order_delivery(
    *, order: ExamOrder, status: str, note: str = "", attempts: int | None = None
) -> None:
    """The interface records whether the order reached the laboratory system (platform step,
    audited)."""
    with transaction.atomic():
        before = {"delivery_status": order.delivery_status}
        ExamOrder.objects.filter(pk=order.pk).update(
            delivery_status=status, delivery_note=note[:200]
        )
        order.delivery_status, order.delivery_note = status, note[:200]
        audit.record(
            "diagnostics.examorder.delivery",
            actor=None,
            target=order,
            institution=order.centre_institution_id,
            before=before,
            after={"delivery_status": status, "note": note[:200], "attempts": attempts},
        )
