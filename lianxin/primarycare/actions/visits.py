"""Recording a follow-up visit: one page, one action. It classifies control for each programme,
moves the plans' due dates on, records the care-plan items done (which closes the referral loop
through referrals' own action) and, when the rules say so, proposes an up-referral with the
visit attached (a draft the doctor sends from the referral page)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.network.models import CommunityMember, Tier
from lianxin.primarycare import assess
from lianxin.primarycare.actions.common import acting_site, clean, membership, team_sites
from lianxin.primarycare.actions.plans import close_plan, move_due
from lianxin.primarycare.models import (
    CARE_PLAN,
    Assessment,
    Contract,
    ContractStatus,
    FollowUpPlan,
    KeyPopulation,
    Visit,
)
from lianxin.primarycare.rules import (
    FACE_TO_FACE,
    SCHEDULES,
    TRIGGERS,
    URGENT_TRIGGERS,
    Adherence,
    Control,
    Population,
    VisitMode,
)


@dataclass
class VisitInput:
    """What the visit page (and the API) sends."""

    visited_at: datetime.datetime
    mode: str
    measurements: assess.Measurements
    medication: str = ""
    adherence: str = ""
    smoking_per_day: int | None = None
    drinking_liang_per_day: Any = None
    exercise_minutes_per_week: int | None = None
    symptoms: str = ""
    advice: str = ""
    note: str = ""


def _check_contract(contract: Contract, day: datetime.date) -> None:
    if contract.status == ContractStatus.TERMINATED and (
        contract.terminated_on is None or contract.terminated_on <= day
    ):
        raise ActionError(
            _(
                "This contract was terminated on %(on)s (%(reason)s): a follow-up cannot be "
                "recorded on it. Sign a new contract first."
            )
            % {"on": contract.terminated_on, "reason": contract.get_termination_reason_display()},
            code="contract_terminated",
        )
    if not (contract.starts_on <= day <= contract.ends_on):
        raise ActionError(
            _("The visit date lies outside the contract's period (%(start)s to %(end)s).")
            % {"start": contract.starts_on, "end": contract.ends_on},
            code="outside_contract",
        )


def summary(data: VisitInput, classes: dict[str, str]) -> str:
    m = data.measurements
    parts = [f"{timezone.localtime(data.visited_at):%Y-%m-%d %H:%M} {VisitMode(data.mode).label}"]
    if m.systolic is not None:
        parts.append(_("BP %(s)d/%(d)d mmHg") % {"s": m.systolic, "d": m.diastolic})
    if m.glucose is not None:
        parts.append(_("fasting glucose %(g)s mmol/L") % {"g": m.glucose})
    if m.heart_rate is not None:
        parts.append(_("heart rate %(h)d/min") % {"h": m.heart_rate})
    if m.weight_kg is not None:
        parts.append(_("weight %(w)s kg") % {"w": m.weight_kg})
    if data.medication:
        parts.append(_("medication: %(m)s") % {"m": data.medication})
    for programme, klass in classes.items():
        if klass:
            parts.append(
                f"{FollowUpPlan(programme=programme).get_programme_display()}: "
                f"{Control(klass).label}"
            )
    if data.note:
        parts.append(data.note)
    return "; ".join(str(p) for p in parts)


def do_record_visit(
    *,
    actor: Any,
    contract: Contract,
    data: VisitInput,
    plans: Sequence[FollowUpPlan] | None = None,
    care_items: Sequence[Any] = (),
    propose_referral: bool = True,
) -> Visit:
    """Record a follow-up on an active contract for the given plans (default: every open plan
    of the resident on this team) and the care-plan items done at it."""
    site, member = acting_site(actor, contract.team)
    now = timezone.now()
    day = timezone.localdate(data.visited_at)
    m = data.measurements
    errors: dict[str, list[str]] = {}
    if data.visited_at > now + datetime.timedelta(minutes=5):
        errors["visited_at"] = [_("A follow-up cannot be recorded in the future.")]
    if data.mode not in VisitMode.values:
        errors["mode"] = [_("Say how the follow-up was made.")]
    if data.adherence and data.adherence not in Adherence.values:
        errors["adherence"] = [_("Choose from the list.")]
    errors.update(assess.implausible(m))
    if errors:
        raise ValidationError(errors)
    _check_contract(contract, day)
    open_plans = FollowUpPlan.objects.filter(
        patient_id=contract.patient_id, team_id=contract.team_id, status=Status.IN_PROGRESS
    )
    if plans is None:
        plans = list(open_plans.exclude(programme=CARE_PLAN))
    else:
        plans = list(plans)
        ids = set(open_plans.values_list("pk", flat=True))
        if any(p.pk not in ids for p in plans):
            raise ValidationError({"plans": [_("A chosen plan is not open for this resident.")]})
    care_items = list(care_items)
    for plan in plans:
        errors.update(assess.required_for(plan.programme, m))
    if errors:
        raise ValidationError(errors)
    if not plans and not care_items:
        raise ValidationError(
            {"plans": [_("Choose the programme or care-plan item this follow-up is for.")]}
        )
    programmes = {p.programme for p in plans}
    classes = {p.programme: assess.control(p.programme, m) for p in plans}
    triggers = assess.urgent_triggers(programmes, m)
    text = summary(data, classes)
    face_to_face = data.mode in FACE_TO_FACE

    with transaction.atomic():
        visit = Visit.objects.create(
            patient_id=contract.patient_id,
            contract=contract,
            site_id=site,
            practitioner=member.practitioner if member else None,
            recorded_by=actor,
            visited_at=data.visited_at,
            mode=data.mode,
            systolic=m.systolic,
            diastolic=m.diastolic,
            heart_rate=m.heart_rate,
            glucose=m.glucose,
            weight_kg=m.weight_kg,
            height_cm=m.height_cm,
            temperature=m.temperature,
            danger_signs=m.danger_signs,
            symptoms=clean(data.symptoms),
            medication=clean(data.medication),
            adherence=data.adherence,
            adverse_reaction=clean(m.adverse_reaction),
            smoking_per_day=data.smoking_per_day,
            drinking_liang_per_day=data.drinking_liang_per_day,
            exercise_minutes_per_week=data.exercise_minutes_per_week,
            advice=clean(data.advice, 300),
            note=(data.note or "").strip(),
        )
        for plan in plans:
            locked = FollowUpPlan.objects.select_for_update().get(pk=plan.pk)
            klass = classes[plan.programme]
            streak = locked.uncontrolled_in_a_row
            step = locked.step
            if plan.programme in SCHEDULES:
                step = assess.step_after(plan.programme, locked.anchor_on, locked.step, day)
                due, refer = assess.scheduled_due(plan.programme, locked.anchor_on, step), False
            else:
                due, refer = assess.next_due(plan.programme, klass, day, streak)
            if refer and "twice_uncontrolled" not in triggers:
                triggers.append("twice_uncontrolled")
            Assessment.objects.create(
                visit=visit,
                plan=locked,
                visited_on=day,
                face_to_face=face_to_face,
                due_on=locked.next_due_on,
                on_time=locked.next_due_on is None or day <= locked.next_due_on,
                control=klass,
                next_due_on=due,
            )
            move_due(
                locked,
                due,
                last_visit_on=day,
                last_control=klass,
                uncontrolled_in_a_row=(streak + 1) if klass and klass != Control.CONTROLLED else 0,
                step=step,
            )
            if plan.programme in SCHEDULES and due is None:
                _schedule_done(locked, actor=actor, day=day)
        _record_care_items(actor, contract, visit, care_items, text, face_to_face)
        visit.triggers = triggers
        if triggers and propose_referral:
            visit.referral = _propose_referral(actor, contract, visit, triggers, text)
        visit.save(update_fields=["triggers", "referral", "updated_at"])
        audit.record(
            "primarycare.visit.record",
            actor=actor,
            target=visit,
            institution=site,
            after={
                "patient": str(contract.patient.external_id),
                "plans": {p.programme: classes[p.programme] for p in plans},
                "care_items": [str(i.external_id) for i in care_items],
                "triggers": triggers,
                "referral": str(visit.referral.external_id) if visit.referral else None,
            },
        )
    return visit


def _schedule_done(plan: FollowUpPlan, *, actor: Any, day: datetime.date) -> None:
    """The schedule's last visit is done: the plan completes; a pregnancy's care ends with it
    (the woman leaves the key population; a child leaves it by age)."""
    close_plan(plan, "complete", actor=actor)
    if plan.programme == Population.PREGNANT:
        KeyPopulation.objects.current().filter(
            patient_id=plan.patient_id, population=Population.PREGNANT
        ).update(ended_on=day)


def _record_care_items(actor, contract, visit, items, text: str, face_to_face: bool) -> None:
    from lianxin.referrals.actions import do_record_follow_up

    touched: dict[int, Any] = {}
    for item in items:
        if item.referral.patient_id != contract.patient_id:
            raise ValidationError({"care_items": [_("A care-plan item is another resident's.")]})
        do_record_follow_up(actor=actor, item=item, result=text, done_at=visit.visited_at)
        touched[item.referral_id] = item.referral
    day = timezone.localdate(visit.visited_at)
    for plan in FollowUpPlan.objects.select_for_update().filter(
        referral_id__in=touched, status=Status.IN_PROGRESS
    ):
        referral = touched[plan.referral_id]
        Assessment.objects.create(
            visit=visit,
            plan=plan,
            visited_on=day,
            face_to_face=face_to_face,
            due_on=plan.next_due_on,
            on_time=plan.next_due_on is None or day <= plan.next_due_on,
            next_due_on=None,
        )
        left = referral.follow_ups.filter(done_at__isnull=True).order_by("due_on").first()
        if left is None:
            move_due(plan, None, last_visit_on=day)
            close_plan(plan, "complete", actor=actor)
        else:
            move_due(plan, left.due_on, last_visit_on=day)


def _referral_target(contract: Contract):
    """The county community's lead hospital (the county hospital the team refers to)."""
    communities = CommunityMember.objects.filter(
        member_institution_id=contract.team.institution_id
    ).select_related("community__lead")
    for row in communities:
        lead = row.community.lead
        if lead is not None and lead.tier == Tier.COUNTY_HOSPITAL:
            return lead
    return None


def _propose_referral(actor, contract: Contract, visit: Visit, triggers: list[str], text: str):
    from lianxin.referrals.actions import do_create_referral
    from lianxin.referrals.rules import Direction, Urgency

    target = _referral_target(contract)
    if target is None or not access_for(actor).has_perm(Perm.REQUEST_SERVICE, visit.site_id):
        return None
    urgent = any(t in URGENT_TRIGGERS or t == "symptoms" for t in triggers)
    reasons = "; ".join(str(TRIGGERS[t].label) for t in triggers)
    code = {"hypertension": "I10", "diabetes": "E11.9"}
    programmes = list(visit.assessments.values_list("plan__programme", flat=True))
    diagnosis = next((code[p] for p in programmes if p in code), "")
    attachment = SimpleUploadedFile(
        f"visit-{timezone.localdate(visit.visited_at):%Y%m%d}.txt",
        text.encode("utf-8"),
        content_type="text/plain",
    )
    try:
        return do_create_referral(
            actor=actor,
            patient=contract.patient,
            direction=Direction.UP,
            performer_institution=target,
            requester_institution=visit.site,
            reason=_("Follow-up found: %(r)s") % {"r": reasons},
            diagnosis_text=", ".join(
                str(FollowUpPlan(programme=p).get_programme_display()) for p in programmes
            )
            or _("Follow-up finding"),
            diagnosis_code=diagnosis,
            urgency=Urgency.URGENT if urgent else Urgency.ROUTINE,
            history_summary=text,
            attachments=[attachment],
            draft=True,
        )
    except (ActionError, ValidationError):
        # The visit stands; the page tells the doctor to refer by hand.
        return None


def may_record_for_referral(actor: Any, referral: Any) -> bool:
    """Referrals' delegate check: the actor is on the team that follows this care plan and holds
    the family-doctor permission at one of its sites."""
    plan = FollowUpPlan.objects.filter(referral=referral).select_related("team").first()
    if plan is None or membership(actor, plan.team) is None:
        return False
    access = access_for(actor)
    return any(access.has_perm(Perm.FAMILY_DOCTOR, s) for s in team_sites(plan.team))
