"""Who hears about a family-doctor plan: an overdue follow-up escalates to the team lead, then
to the centre's duty officers (or its administrators when it has none); a care plan taken on
reaches the team lead and the resident's village doctor."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from lianxin.core.models import User
from lianxin.core.notify import notify
from lianxin.core.permissions import Role
from lianxin.core.workflow import workflow_escalated, workflow_transitioned
from lianxin.primarycare.models import CARE_PLAN, FollowUpPlan
from lianxin.primarycare.rules import TeamRole


def _team_users(plan: FollowUpPlan, roles) -> list[User]:
    return list(
        User.objects.filter(
            practitioner__team_memberships__team_id=plan.team_id,
            practitioner__team_memberships__role__in=roles,
            is_active=True,
        ).distinct()
    )


def _centre_users(plan: FollowUpPlan, roles) -> list[User]:
    return list(
        User.objects.filter(
            Q(memberships__institution_id=plan.team.institution_id)
            & Q(memberships__role__in=roles, memberships__is_active=True),
            is_active=True,
        ).distinct()
    )


def _url(plan: FollowUpPlan) -> str:
    if plan.contract_id:
        return reverse("primarycare:contract", kwargs={"id": plan.contract.external_id})
    return reverse("primarycare:week")


@receiver(workflow_escalated, sender=FollowUpPlan)
def on_escalation(sender, item, record, level, **kwargs) -> None:
    if level <= 1:
        users = _team_users(item, [TeamRole.LEAD])
    else:
        users = _centre_users(item, [Role.DUTY_OFFICER]) or _centre_users(
            item, [Role.INSTITUTION_ADMIN]
        )
    notify(
        users,
        verb="primarycare.overdue",
        title=_("Follow-up overdue: %(patient)s (%(what)s, due %(due)s)")
        % {
            "patient": item.patient.name,
            "what": item.get_programme_display(),
            "due": item.next_due_on,
        },
        url=_url(item),
    )


@receiver(workflow_transitioned, sender=FollowUpPlan)
def on_care_plan(sender, item, record, actor, transition, **kwargs) -> None:
    if record.name != "create" or item.programme != CARE_PLAN:
        return
    users = _team_users(item, [TeamRole.LEAD])
    if item.performer_institution_id != item.team.institution_id:
        users += list(
            User.objects.filter(
                memberships__institution_id=item.performer_institution_id,
                memberships__role=Role.CLINICIAN,
                memberships__is_active=True,
            )
        )
    notify(
        users,
        verb="primarycare.discharged",
        title=_("Back home with a care plan: %(patient)s, first follow-up due %(due)s")
        % {"patient": item.patient.name, "due": item.next_due_on},
        url=_url(item),
    )
