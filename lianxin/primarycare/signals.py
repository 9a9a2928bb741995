"""A down-referral reaching a team's centre or village becomes the team's care plan; when the
referral's loop closes (or it is withdrawn), the plan closes with it."""

from __future__ import annotations

from django.dispatch import receiver

from lianxin.core.workflow import CLOSED_STATUSES, Status, workflow_transitioned
from lianxin.referrals.models import Referral

TAKEN_AT = {Status.REQUESTED, Status.ACCEPTED}


@receiver(workflow_transitioned, sender=Referral)
def follow_down_referrals(sender, item, record, actor, transition, **kwargs) -> None:
    from lianxin.primarycare.actions.plans import close_plan, take_care_plan
    from lianxin.primarycare.models import FollowUpPlan

    if item.direction != "down":
        return
    if record.to_status in TAKEN_AT:
        take_care_plan(item, actor=actor)
    elif record.to_status in CLOSED_STATUSES:
        for plan in FollowUpPlan.objects.filter(referral=item, status=Status.IN_PROGRESS):
            if record.to_status == Status.COMPLETED:
                close_plan(plan, "complete", actor=actor)
            else:
                close_plan(plan, "cancel", actor=actor, reason=record.reason or record.to_status)
