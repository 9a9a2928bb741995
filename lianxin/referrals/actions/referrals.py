"""Up- and down-referrals: create, answer, book, arrive, close the loop, follow the care plan."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, Conflict, NotAllowed
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
    requesting_institution,
)
from lianxin.referrals.models import (
    AppointmentSlot,
    FollowUpItem,
    GreenChannelEvent,
    Referral,
    ReferralAttachment,
    ReferralResult,
)
from lianxin.referrals.rules import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    ICD10_RE,
    MILESTONE_ORDER,
    REFERRAL_ACCESS_AFTER,
    TIER_LEVEL,
    Direction,
    FollowUpKind,
    Milestone,
    Urgency,
    normalise_icd10,
)
from lianxin.workforce.models import Practitioner

# Who else may record a care-plan follow-up for the receiving site: functions ``(actor, referral)
# -> bool`` that other apps append at start-up (primarycare: a member of the patient's contracted
# family-doctor team, e.g. the village doctor, when the plan went to the team's township centre).
# Referrals does not import them: the dependency points from those apps to this one.
follow_up_delegates: list[Callable[[Any, Referral], bool]] = []


@dataclass(frozen=True)
class PlanItem:
    """One follow-up item of a down-referral's care plan, as the doctor writes it."""

    kind: str
    description: str
    due_on: datetime.date


def _check_direction(direction: str, requester: Institution, performer: Institution) -> None:
    if direction not in Direction.values:
        raise ValidationError({"direction": [_("Choose up or down.")]})
    if requester.pk == performer.pk:
        raise ValidationError(
            {"performer_institution": [_("A referral goes to another institution.")]}
        )
    mine, theirs = TIER_LEVEL.get(requester.tier), TIER_LEVEL.get(performer.tier)
    if mine is None or theirs is None:
        raise ValidationError(
            {"performer_institution": [_("Only care institutions send and receive referrals.")]}
        )
    if direction == Direction.UP and theirs < mine:
        raise ValidationError(
            {"direction": [_("An upward referral cannot go to a lower level of care.")]}
        )
    if direction == Direction.DOWN and theirs > mine:
        raise ValidationError(
            {"direction": [_("A downward referral cannot go to a higher level of care.")]}
        )


def _clean_plan(items: Iterable[PlanItem], today: datetime.date) -> list[PlanItem]:
    clean = []
    for n, item in enumerate(items, start=1):
        description = clean_text(item.description)
        if not description:
            continue
        if item.kind not in FollowUpKind.values:
            raise ValidationError({"follow_ups": [_("Item %(n)d: choose a kind.") % {"n": n}]})
        if item.due_on is None or item.due_on < today:
            raise ValidationError(
                {"follow_ups": [_("Item %(n)d: the due date is in the past.") % {"n": n}]}
            )
        clean.append(PlanItem(item.kind, description[:200], item.due_on))
    return clean


def _check_attachments(files: Sequence[UploadedFile]) -> None:
    for upload in files:
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                {
                    "attachments": [
                        _("%(name)s is larger than %(mb)d MB.")
                        % {"name": upload.name, "mb": ATTACHMENT_MAX_BYTES // 2**20}
                    ]
                }
            )
        if (upload.content_type or "") not in ATTACHMENT_TYPES:
            raise ValidationError(
                {
                    "attachments": [
                        _("%(name)s: send PDF, JPEG, PNG or text files.") % {"name": upload.name}
                    ]
                }
            )


def _attach(referral: Referral, files: Sequence[UploadedFile], actor: Any) -> None:
    for upload in files:
        ReferralAttachment.objects.create(
            referral=referral,
            file=upload,
            name=upload.name[:120],
            content_type=upload.content_type or "",
            size=upload.size,
            uploaded_by=actor,
        )


def _check_linked_results(actor: Any, patient: Patient, orders: Sequence[Any]) -> list[Any]:
    """The distinct results to link: each a signed result of this patient that the actor reads
    in the network (another is "Not found.", as an unknown id: nothing is told about it)."""
    from lianxin.diagnostics.queries import network_results

    ids = list(dict.fromkeys(order.pk for order in orders))
    if not ids:
        return []
    found = {o.pk: o for o in network_results(actor).filter(pk__in=ids)}
    if len(found) < len(ids):
        raise ValidationError({"linked_results": [_("Not found.")]})
    if any(o.patient_id != patient.pk for o in found.values()):
        raise ValidationError({"linked_results": [_("This result is another patient's.")]})
    return [found[pk] for pk in ids]


def _link_results(referral: Referral, orders: Sequence[Any], actor: Any) -> None:
    if not orders:
        return
    ReferralResult.objects.bulk_create(
        ReferralResult(referral=referral, order=order, linked_by=actor) for order in orders
    )
    audit.record(
        "referrals.referral.link_results",
        actor=actor,
        target=referral,
        institution=referral.requester_institution_id,
        after={"results": [o.accession_number for o in orders]},
    )


def do_create_referral(
    *,
    actor: Any,
    patient: Patient,
    direction: str,
    performer_institution: Institution,
    reason: str,
    diagnosis_text: str,
    diagnosis_code: str = "",
    urgency: str = Urgency.ROUTINE,
    performer_department: Department | None = None,
    requested_practitioner: Practitioner | None = None,
    requester_institution: Institution | None = None,
    requester_department: Department | None = None,
    history_summary: str = "",
    care_plan: str = "",
    follow_ups: Iterable[PlanItem] = (),
    attachments: Sequence[UploadedFile] = (),
    linked_results: Sequence[Any] = (),
    follows: Referral | None = None,
    draft: bool = False,
    now: datetime.datetime | None = None,
) -> Referral:
    """Refer a patient up to a specialist department, or down with a care plan.

    ``linked_results`` are exam orders of the network (``diagnostics.queries.network_results``)
    whose signed reports go with the referral: the receiving site reads them through it.

    The receiving institution gets access to the patient for as long as the referral needs; an
    emergency referral (green channel) notifies the receiving side at once and starts its
    timeline with the decision.
    """
    now = now or timezone.now()
    requester = requesting_institution(actor, requester_institution)
    errors: dict[str, list[str]] = {}
    reason, diagnosis_text = clean_text(reason), clean_text(diagnosis_text)
    diagnosis_code = normalise_icd10(diagnosis_code)
    if not reason:
        errors["reason"] = [_("Say why the patient is referred.")]
    if not diagnosis_text:
        errors["diagnosis_text"] = [_("Give the working diagnosis.")]
    if diagnosis_code and not ICD10_RE.match(diagnosis_code):
        errors["diagnosis_code"] = [_("An ICD-10 code looks like I21.0 or K35.800x001.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose an urgency from the list.")]
    if errors:
        raise ValidationError(errors)
    check_patient_visible(actor, patient)
    check_reachable(actor, performer_institution, "performer_institution")
    _check_direction(direction, requester, performer_institution)
    check_department(performer_department, performer_institution, "performer_department")
    check_department(requester_department, requester, "requester_department")
    check_practitioner(requested_practitioner, performer_institution, "requested_practitioner")
    if (
        requested_practitioner is not None
        and performer_department is not None
        and requested_practitioner.department_id not in {None, performer_department.pk}
    ):
        raise ValidationError(
            {
                "requested_practitioner": [
                    _("This doctor works in another department than the one referred to.")
                ]
            }
        )
    plan = _clean_plan(follow_ups, timezone.localdate(now))
    if direction == Direction.DOWN and not plan and not draft:
        raise ValidationError(
            {"follow_ups": [_("A downward referral needs a care plan with at least one item.")]}
        )
    _check_attachments(attachments)
    linked = _check_linked_results(actor, patient, linked_results)

    with transaction.atomic():
        referral = create_item(
            Referral,
            actor=actor,
            status=Status.DRAFT if draft else Status.REQUESTED,
            now=now,
            patient=patient,
            direction=direction,
            urgency=urgency,
            requester_institution=requester,
            requester_department=requester_department,
            performer_institution=performer_institution,
            performer_department=performer_department,
            requested_practitioner=requested_practitioner,
            reason=reason,
            diagnosis_code=diagnosis_code,
            diagnosis_text=diagnosis_text[:200],
            history_summary=clean_text(history_summary),
            care_plan=clean_text(care_plan),
            follows=follows,
        )
        FollowUpItem.objects.bulk_create(
            FollowUpItem(referral=referral, kind=p.kind, description=p.description, due_on=p.due_on)
            for p in plan
        )
        _attach(referral, attachments, actor)
        _link_results(referral, linked, actor)
        if not draft:
            _open_for_receiver(referral, actor)
        if urgency == Urgency.EMERGENCY:
            GreenChannelEvent.objects.create(
                referral=referral, milestone=Milestone.DECISION, at=now, recorded_by=actor
            )
    return referral


def _open_for_receiver(referral: Referral, actor: Any) -> None:
    open_care(
        referral.patient,
        referral.performer_institution,
        reason=_("Referral from %(inst)s") % {"inst": referral.requester_institution},
        source=referral,
        actor=actor,
    )


def do_submit_referral(*, actor: Any, referral: Referral, follow_ups: Iterable[PlanItem] = ()):
    """Send a draft (e.g. the down-referral proposed at discharge), adding care-plan items."""
    plan = _clean_plan(follow_ups, timezone.localdate())
    with transaction.atomic():
        FollowUpItem.objects.bulk_create(
            FollowUpItem(referral=referral, kind=p.kind, description=p.description, due_on=p.due_on)
            for p in plan
        )
        if referral.direction == Direction.DOWN and not referral.follow_ups.exists():
            raise ValidationError(
                {"follow_ups": [_("A downward referral needs a care plan with at least one item.")]}
            )
        transition(referral, "submit", actor=actor)
        _open_for_receiver(referral, actor)
    return referral


def do_receive_referral(*, actor: Any, referral: Referral, expected_version: int | None = None):
    return transition(referral, "receive", actor=actor, expected_version=expected_version)


def _book(referral: Referral, slot: AppointmentSlot, now: datetime.datetime) -> None:
    if slot.institution_id != referral.performer_institution_id:
        raise ValidationError({"slot": [_("This slot belongs to another institution.")]})
    if slot.starts_at <= now:
        raise ValidationError({"slot": [_("This slot is in the past.")]})
    # The conditional update is the guard: of two parallel bookings of one slot, the second
    # finds it taken (the row lock orders them) and fails cleanly.
    taken = AppointmentSlot.objects.filter(
        pk=slot.pk, referral__isnull=True, is_cancelled=False
    ).update(referral=referral, booked_at=now)
    if not taken:
        raise Conflict(_("This slot has just been booked or withdrawn; choose another."))


def do_accept_referral(
    *,
    actor: Any,
    referral: Referral,
    slot: AppointmentSlot | None = None,
    department: Department | None = None,
    expected_version: int | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Referral:
    """The receiving department accepts, optionally booking a reserved slot, in one step."""
    now = now or timezone.now()
    department = department or (slot.department if slot else None)
    check_department(department, referral.performer_institution, "department")
    if slot is not None and department is not None and slot.department_id != department.pk:
        raise ValidationError({"slot": [_("This slot belongs to another department.")]})
    changes: dict[str, Any] = {"owner": actor}
    if department is not None:
        changes["performer_department"] = department
    with transaction.atomic():
        transition(
            referral,
            Status.ACCEPTED,
            actor=actor,
            expected_version=expected_version,
            note=note,
            business_status="booked" if slot else "accepted",
            changes=changes,
            now=now,
        )
        if slot is not None:
            _book(referral, slot, now)
            # The due time of "accepted" depends on the slot, which is booked only now (and the
            # referral may have cached "no slot" while the transition computed it).
            referral._state.fields_cache.pop("slot", None)
            referral.due_at = Referral.workflow.due_at(referral, Status.ACCEPTED, now)
            referral.save(update_fields=["due_at"])
            audit.record(
                "referrals.slot.book",
                actor=actor,
                target=slot,
                institution=referral.performer_institution_id,
                after={"referral": str(referral.external_id), "starts_at": slot.starts_at},
            )
    return referral


def do_reject_referral(*, actor: Any, referral: Referral, reason: str, expected_version=None):
    with transaction.atomic():
        transition(
            referral, Status.REJECTED, actor=actor, reason=reason, expected_version=expected_version
        )
        close_care(referral, ends_at=timezone.now())
    return referral


def do_cancel_referral(*, actor: Any, referral: Referral, reason: str, expected_version=None):
    with transaction.atomic():
        transition(
            referral, "cancel", actor=actor, reason=reason, expected_version=expected_version
        )
        AppointmentSlot.objects.filter(referral=referral).update(referral=None, booked_at=None)
        close_care(referral, ends_at=timezone.now())
    return referral


def do_record_no_show(*, actor: Any, referral: Referral, reason: str):
    with transaction.atomic():
        transition(referral, "no_show", actor=actor, reason=reason)
        close_care(referral, ends_at=timezone.now() + REFERRAL_ACCESS_AFTER)
    return referral


def do_record_arrival(*, actor: Any, referral: Referral, at: datetime.datetime | None = None):
    """The patient arrived at the receiving site (an up-referral) — treatment may start."""
    at = at or timezone.now()
    with transaction.atomic():
        transition(referral, "start", actor=actor, business_status="arrived", now=at)
        if referral.is_green_channel:
            _milestone(referral, Milestone.ARRIVAL, at, actor)
    return referral


def _milestone(referral: Referral, milestone: str, at: datetime.datetime, actor: Any):
    event, created = GreenChannelEvent.objects.get_or_create(
        referral=referral, milestone=milestone, defaults={"at": at, "recorded_by": actor}
    )
    if not created:
        raise ActionError(
            _("%(milestone)s was already recorded at %(at)s.")
            % {"milestone": event.get_milestone_display(), "at": timezone.localtime(event.at)},
            code="duplicate",
        )
    return event


def do_record_milestone(
    *, actor: Any, referral: Referral, milestone: str, at: datetime.datetime | None = None
) -> GreenChannelEvent:
    """Timestamp a green-channel milestone; either party records it, in order."""
    at = at or timezone.now()
    if not referral.is_green_channel:
        raise ActionError(_("Only an emergency referral has a green-channel timeline."))
    if milestone not in Milestone.values:
        raise ValidationError({"milestone": [_("Choose a milestone from the list.")]})
    access = access_for(actor)
    parties = {referral.requester_institution_id, referral.performer_institution_id}
    if not any(
        access.has_perm(Perm.REQUEST_SERVICE, p) or access.has_perm(Perm.PERFORM_SERVICE, p)
        for p in parties
    ):
        raise NotAllowed(_("Only the two parties to the referral record its milestones."))
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"at": [_("A milestone cannot be in the future.")]})
    earlier = MILESTONE_ORDER[: MILESTONE_ORDER.index(Milestone(milestone))]
    last = (
        GreenChannelEvent.objects.filter(referral=referral, milestone__in=earlier)
        .order_by("-at")
        .first()
    )
    if last is not None and at < last.at:
        raise ValidationError(
            {"at": [_("This is earlier than %(m)s.") % {"m": last.get_milestone_display()}]}
        )
    with transaction.atomic():
        event = _milestone(referral, milestone, at, actor)
        audit.record(
            "referrals.referral.milestone",
            actor=actor,
            target=referral,
            institution=referral.performer_institution_id,
            after={"milestone": milestone, "at": at},
        )
    return event


def do_complete_referral(
    *,
    actor: Any,
    referral: Referral,
    outcome_summary: str,
    propose_down: bool = True,
    as_system: bool = False,
) -> Referral:
    """Close the loop: the outcome (e.g. the discharge summary) goes back to the referrer.

    For an up-referral the discharge proposes the down-referral: a draft back to the referring
    institution, for the discharging doctor to complete with a care plan and send.
    """
    outcome_summary = clean_text(outcome_summary)
    if not outcome_summary:
        raise ValidationError(
            {"outcome_summary": [_("Write the outcome that goes back to the referring doctor.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        transition(
            referral,
            Status.COMPLETED,
            actor=actor,
            business_status="outcome sent back",
            changes={"outcome_summary": outcome_summary, "outcome_at": now},
            now=now,
            as_system=as_system,
        )
        close_care(referral, ends_at=now + REFERRAL_ACCESS_AFTER)
        if (
            propose_down
            and referral.direction == Direction.UP
            and access_for(actor).has_perm(Perm.REQUEST_SERVICE, referral.performer_institution_id)
        ):
            create_item(
                Referral,
                actor=actor,
                status=Status.DRAFT,
                patient=referral.patient,
                direction=Direction.DOWN,
                requester_institution=referral.performer_institution,
                requester_department=referral.performer_department,
                performer_institution=referral.requester_institution,
                performer_department=referral.requester_department,
                reason=_("Continued care after discharge"),
                diagnosis_code=referral.diagnosis_code,
                diagnosis_text=referral.diagnosis_text,
                history_summary=outcome_summary,
                follows=referral,
            )
    return referral


def do_mark_outcome_seen(*, actor: Any, referral: Referral) -> Referral:
    """The referring doctor has read the outcome (shown on the outgoing worklist)."""
    if referral.status != Status.COMPLETED or referral.outcome_seen_at:
        return referral
    if not access_for(actor).has_perm(Perm.REQUEST_SERVICE, referral.requester_institution_id):
        return referral
    with transaction.atomic():
        Referral.objects.filter(pk=referral.pk, outcome_seen_at__isnull=True).update(
            outcome_seen_at=timezone.now()
        )
        audit.record(
            "referrals.referral.outcome_seen",
            actor=actor,
            target=referral,
            institution=referral.requester_institution_id,
        )
    referral.refresh_from_db(fields=["outcome_seen_at"])
    return referral


def do_add_follow_up(*, actor: Any, referral: Referral, item: PlanItem) -> FollowUpItem:
    """Either side adds an item to a down-referral's plan while it is open."""
    if referral.direction != Direction.DOWN or not referral.is_open:
        raise ActionError(_("Only an open downward referral has a care plan to add to."))
    access = access_for(actor)
    if not (
        access.has_perm(Perm.REQUEST_SERVICE, referral.requester_institution_id)
        or access.has_perm(Perm.PERFORM_SERVICE, referral.performer_institution_id)
    ):
        raise NotAllowed(_("Only the two parties to the referral change its care plan."))
    (clean,) = _clean_plan([item], timezone.localdate()) or (None,)
    if clean is None:
        raise ValidationError({"description": [_("Say what is to be done.")]})
    with transaction.atomic():
        row = FollowUpItem.objects.create(
            referral=referral, kind=clean.kind, description=clean.description, due_on=clean.due_on
        )
        audit.record(
            "referrals.follow_up.add",
            actor=actor,
            target=referral,
            after={"kind": row.kind, "description": row.description, "due_on": row.due_on},
        )
    return row


def do_record_follow_up(
    *, actor: Any, item: FollowUpItem, result: str, done_at: datetime.datetime | None = None
) -> FollowUpItem:
    """The receiving site records a follow-up against the plan; the first one starts the plan,
    the last one closes the loop and the originating doctor sees the result."""
    referral = item.referral
    result = clean_text(result)
    if not result:
        raise ValidationError({"result": [_("Write what was found or done.")]})
    done_at = done_at or timezone.now()
    if done_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"done_at": [_("A follow-up cannot be recorded in the future.")]})
    delegated = False
    if not access_for(actor).has_perm(Perm.PERFORM_SERVICE, referral.performer_institution_id):
        delegated = any(delegate(actor, referral) for delegate in follow_up_delegates)
        if not delegated:
            raise NotAllowed(_("Only the receiving site records follow-ups."))
    with transaction.atomic():
        locked = FollowUpItem.objects.select_for_update().get(pk=item.pk)
        if locked.done_at is not None:
            raise Conflict(_("This follow-up was already recorded."))
        if referral.status == Status.ACCEPTED:
            transition(
                referral,
                "start",
                actor=actor,
                business_status="plan under way",
                as_system=delegated,
            )
        elif referral.status != Status.IN_PROGRESS:
            raise ActionError(
                _("Follow-ups are recorded once the referral is accepted (it is %(s)s).")
                % {"s": referral.get_status_display()}
            )
        locked.done_at, locked.done_by, locked.result = done_at, actor, result
        locked.save(update_fields=["done_at", "done_by", "result", "updated_at"])
        audit.record(
            "referrals.follow_up.record",
            actor=actor,
            target=referral,
            institution=referral.performer_institution_id,
            after={"item": str(locked.external_id), "result": result},
        )
        if not referral.follow_ups.filter(done_at__isnull=True).exists():
            lines = [
                f"{f.due_on:%Y-%m-%d} {f.description}: {f.result}"
                for f in referral.follow_ups.order_by("due_on", "id")
            ]
            do_complete_referral(
                actor=actor,
                referral=referral,
                outcome_summary=_("Care plan completed.") + "\n" + "\n".join(lines),
                propose_down=False,
                as_system=delegated,
            )
    item.refresh_from_db()
    return item
