"""Remote consultations and MDTs: invite, schedule, give and sign the opinion, rate it."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status, create_item, transition
from lianxin.network.models import Department, Institution
from lianxin.patients.models import Patient
from lianxin.referrals.actions.common import (
    check_department,
    check_patient_visible,
    check_practitioner,
    check_reachable,
    clean_text,
    close_care,
    open_care,
    practitioner_of,
    requesting_institution,
)
from lianxin.referrals.models import Consultation, ConsultationInvitee
from lianxin.referrals.rules import CONSULTATION_ACCESS_AFTER, ConsultationKind, Urgency
from lianxin.workforce.models import Practitioner


@dataclass(frozen=True)
class Invitee:
    institution: Institution
    department: Department | None = None
    practitioner: Practitioner | None = None


def do_request_consultation(
    *,
    actor: Any,
    patient: Patient,
    invitees: Sequence[Invitee],
    question: str,
    kind: str = ConsultationKind.REMOTE,
    urgency: str = Urgency.ROUTINE,
    clinical_summary: str = "",
    proposed_at: datetime.datetime | None = None,
    video_link: str = "",
    requester_institution: Institution | None = None,
) -> Consultation:
    """Invite one specialist or department (or several, for an MDT) to give an opinion.

    The patient's record is shared with each invited institution for this consultation only:
    a care relationship that ends when the consultation closes, audited.
    """
    requester = requesting_institution(actor, requester_institution)
    question = clean_text(question)
    errors: dict[str, list[str]] = {}
    if not question:
        errors["question"] = [_("Write the question for the specialist.")]
    if kind not in ConsultationKind.values:
        errors["kind"] = [_("Choose remote or MDT.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose an urgency from the list.")]
    if not invitees:
        errors["invitees"] = [_("Invite at least one specialist or department.")]
    elif kind == ConsultationKind.REMOTE and len(invitees) > 1:
        errors["invitees"] = [_("A remote consultation has one invited party; use MDT for more.")]
    if proposed_at is not None and proposed_at <= timezone.now():
        errors["proposed_at"] = [_("The proposed time is in the past.")]
    if errors:
        raise ValidationError(errors)
    check_patient_visible(actor, patient)
    for invitee in invitees:
        check_reachable(actor, invitee.institution, "invitees")
        check_department(invitee.department, invitee.institution, "invitees")
        check_practitioner(invitee.practitioner, invitee.institution, "invitees")
        if invitee.institution.pk == requester.pk:
            raise ValidationError({"invitees": [_("Invite another institution.")]})
    main = invitees[0]
    with transaction.atomic():
        consultation = create_item(
            Consultation,
            actor=actor,
            patient=patient,
            kind=kind,
            urgency=urgency,
            question=question,
            clinical_summary=clean_text(clinical_summary),
            proposed_at=proposed_at,
            video_link=clean_text(video_link),
            requester_institution=requester,
            performer_institution=main.institution,
            performer_department=main.department,
        )
        ConsultationInvitee.objects.bulk_create(
            ConsultationInvitee(
                consultation=consultation,
                institution=i.institution,
                department=i.department,
                practitioner=i.practitioner,
            )
            for i in invitees
        )
        for institution in {i.institution.pk: i.institution for i in invitees}.values():
            open_care(
                patient,
                institution,
                reason=_("Consultation asked by %(inst)s") % {"inst": requester},
                source=consultation,
                actor=actor,
            )
    return consultation


def do_accept_consultation(
    *,
    actor: Any,
    consultation: Consultation,
    scheduled_at: datetime.datetime,
    video_link: str = "",
    expected_version: int | None = None,
) -> Consultation:
    if scheduled_at is None or scheduled_at <= timezone.now() - datetime.timedelta(minutes=5):
        raise ValidationError({"scheduled_at": [_("Schedule it for a time to come.")]})
    changes: dict[str, Any] = {"scheduled_at": scheduled_at, "owner": actor}
    if clean_text(video_link):
        changes["video_link"] = clean_text(video_link)
    return transition(
        consultation,
        Status.ACCEPTED,
        actor=actor,
        business_status="scheduled",
        changes=changes,
        expected_version=expected_version,
    )


def do_reject_consultation(*, actor: Any, consultation: Consultation, reason: str):
    with transaction.atomic():
        transition(consultation, Status.REJECTED, actor=actor, reason=reason)
        close_care(consultation, ends_at=timezone.now())
    return consultation


def do_cancel_consultation(*, actor: Any, consultation: Consultation, reason: str):
    with transaction.atomic():
        transition(consultation, "cancel", actor=actor, reason=reason)
        close_care(consultation, ends_at=timezone.now())
    return consultation


def _invitee_of(actor: Any, consultation: Consultation) -> ConsultationInvitee | None:
    access = access_for(actor)
    for invitee in consultation.invitees.all():
        if access.has_perm(Perm.PERFORM_SERVICE, invitee.institution_id):
            return invitee
    return None


def do_contribute_opinion(*, actor: Any, consultation: Consultation, text: str):
    """An MDT participant adds their contribution before the main opinion is signed."""
    text = clean_text(text)
    if not text:
        raise ValidationError({"text": [_("Write your contribution.")]})
    if consultation.status not in {Status.ACCEPTED, Status.IN_PROGRESS}:
        raise ActionError(_("Contributions are added once the consultation is scheduled."))
    invitee = _invitee_of(actor, consultation)
    if invitee is None:
        raise NotAllowed(_("Only an invited party contributes to this consultation."))
    with transaction.atomic():
        invitee.opinion, invitee.contributed_at = text, timezone.now()
        invitee.save(update_fields=["opinion", "contributed_at"])
        audit.record(
            "referrals.consultation.contribute",
            actor=actor,
            target=consultation,
            institution=invitee.institution_id,
            after={"text": text},
        )
    return invitee


def do_sign_opinion(*, actor: Any, consultation: Consultation, opinion: str) -> Consultation:
    """The invited specialist writes and signs the opinion; it goes back to the inviting doctor."""
    opinion = clean_text(opinion)
    if not opinion:
        raise ValidationError({"opinion": [_("Write the opinion.")]})
    signer = practitioner_of(actor)
    if signer is None:
        raise NotAllowed(_("Only a registered practitioner signs an opinion."))
    now = timezone.now()
    with transaction.atomic():
        if consultation.status == Status.ACCEPTED:
            transition(consultation, "start", actor=actor, business_status="in session")
        transition(
            consultation,
            Status.COMPLETED,
            actor=actor,
            business_status="opinion signed",
            changes={"opinion": opinion, "signed_by": signer, "signed_at": now},
        )
        close_care(consultation, ends_at=now + CONSULTATION_ACCESS_AFTER)
    return consultation


def do_rate_consultation(
    *, actor: Any, consultation: Consultation, rating: int, comment: str = ""
) -> Consultation:
    """The inviting doctor rates the signed opinion (1–5)."""
    if consultation.status != Status.COMPLETED:
        raise ActionError(_("A consultation is rated once its opinion is signed."))
    if not access_for(actor).has_perm(Perm.REQUEST_SERVICE, consultation.requester_institution_id):
        raise NotAllowed(_("Only the inviting institution rates the opinion."))
    if rating not in range(1, 6):
        raise ValidationError({"rating": [_("Rate from 1 to 5.")]})
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if locked.rated_at is not None:
            raise ActionError(_("This opinion has already been rated."), code="duplicate")
        Consultation.objects.filter(pk=locked.pk).update(
            rating=rating,
            rating_comment=clean_text(comment),
            rated_at=timezone.now(),
            business_status="rated",
        )
        audit.record(
            "referrals.consultation.rate",
            actor=actor,
            target=locked,
            institution=locked.requester_institution_id,
            after={"rating": rating, "comment": clean_text(comment)},
        )
    consultation.refresh_from_db()
    return consultation
