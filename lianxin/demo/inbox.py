"""Demo step: the demo logins' inboxes hold what the last days would have told them.

The app steps write a year of history directly, without the actions, so nobody was notified. This
step replays the last days' workflow history of items that involve a demo login's institution
through the same signals the actions send, so the notification rules of each app decide who hears
what; each message is dated when its event happened, and those older than a day are read. Nothing
goes out by SMS: the moment for that has passed.
"""

from __future__ import annotations

import datetime

from django.db.models import Max, Q
from django.utils import timezone

from lianxin.core.models import Notification
from lianxin.core.notify import outbound_suppressed
from lianxin.core.workflow import workflow_escalated, workflow_models, workflow_transitioned
from lianxin.demo.context import DemoCounty

REPLAY_DAYS = 3
READ_AFTER = datetime.timedelta(days=1)


def build_inbox(county: DemoCounty) -> None:
    now = timezone.now()
    since = now - datetime.timedelta(days=REPLAY_DAYS)
    institutions = {place.pk for _user, _role, place in county.accounts.values()}
    if not institutions:
        return
    last_id = Notification.objects.aggregate(last=Max("id"))["last"] or 0
    with outbound_suppressed():
        for model in workflow_models():
            history = model.history_model()
            involved = Q(item__requester_institution_id__in=institutions) | Q(
                item__performer_institution_id__in=institutions
            )
            records = (
                history.objects.filter(involved, at__gte=since, at__lte=now)
                .select_related("item", "actor")
                .order_by("at", "id")
            )
            for record in records:
                if record.name == "escalate":
                    workflow_escalated.send(
                        sender=model, item=record.item, record=record, level=record.escalation_level
                    )
                else:
                    workflow_transitioned.send(
                        sender=model,
                        item=record.item,
                        record=record,
                        actor=record.actor,
                        transition=None,
                    )
                read_at = record.at + datetime.timedelta(hours=1)
                dated = Notification.objects.filter(id__gt=last_id).update(
                    created_at=record.at, read_at=read_at if record.at < now - READ_AFTER else None
                )
                if dated:  # most steps tell nobody: only then is there a new last row
                    last_id = Notification.objects.aggregate(last=Max("id"))["last"]
