"""Recalls: opened by a failed indicator, every pack found, branches and doctors notified, closed
when every pack is accounted for and every branch has confirmed (WS 310.3-2016 4.4.1.4)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.actions import do_send_notification
from lianxin.core.errors import Conflict
from lianxin.core.permissions import Perm, Role
from lianxin.sterile.actions.common import require
from lianxin.sterile.models import (
    BowieDickTest,
    BranchConfirmation,
    Pack,
    PackEvent,
    Recall,
    RecallItem,
    SterilisationLoad,
    Whereabouts,
)
from lianxin.sterile.queries import recall_loads, trace_loads
from lianxin.sterile.rules import RECALL_RULES, PackStatus, RecallReason
from lianxin.workforce.models import Membership

# Accounted for at opening: the centre holds the pack, it has been reprocessed since, or it was
# used (the patient is known and the doctor told). Packs at a branch wait for its return.
ACCOUNTED_AT_OPENING = {
    Whereabouts.IN_CENTRE: "held at the centre",
    Whereabouts.REPROCESSED: "reprocessed since",
    Whereabouts.USED: "used on a patient; doctor notified",
}
BRANCH_ROLES = (Role.NURSE, Role.DEPARTMENT_HEAD, Role.STERILE_STAFF)


def _branch_users(institution_id: int) -> list[Any]:
    """Who at a branch hears of a recall: its nurses, department heads and sterile staff (all
    its sterile-pack users when it has none of those)."""
    rows = Membership.objects.filter(institution_id=institution_id, is_active=True)
    users = {m.user for m in rows.filter(role__in=BRANCH_ROLES).select_related("user")}
    if not users:
        from lianxin.core.permissions import ROLE_PERMISSIONS

        roles = [r for r, perms in ROLE_PERMISSIONS.items() if Perm.USE_STERILE in perms]
        users = {m.user for m in rows.filter(role__in=roles).select_related("user")}
    return sorted(users, key=lambda u: u.pk)


def do_open_recall(
    *,
    actor: Any,
    reason: str,
    load: SterilisationLoad | None = None,
    test: BowieDickTest | None = None,
    now: datetime.datetime | None = None,
) -> Recall | None:
    """Open the recall a failure calls for; ``None`` when its loads hold no pack. Called inside
    the failing action's transaction."""
    machine = load.machine if load is not None else test.machine
    centre = machine.centre
    perm = Perm.RELEASE_STERILE if reason == RecallReason.BI_POSITIVE else Perm.PROCESS_STERILE
    require(actor, perm, centre.institution_id)
    now = now or timezone.now()
    loads = list(recall_loads(reason, load=load, test=test, now=now))
    traced = trace_loads([x.pk for x in loads])
    if not traced:
        return None
    with transaction.atomic():
        recall = Recall.objects.create(
            centre=centre,
            reason=reason,
            trigger_load=load,
            trigger_test=test,
            source=RECALL_RULES[reason].source,
            opened_at=now,
            opened_by=actor,
        )
        recall.loads.set(loads)
        items = []
        for t in traced:
            how = ACCOUNTED_AT_OPENING.get(t.whereabouts, "")
            items.append(
                RecallItem(
                    recall=recall,
                    pack_id=t.pack_id,
                    cycle=t.cycle,
                    load_id=t.load_id,
                    whereabouts=t.whereabouts,
                    institution_id=t.institution_id,
                    use=t.use,
                    accounted_at=now if how else None,
                    accounted_by=actor if how else None,
                    accounted_how=how,
                    doctor_notified_at=now if t.use is not None else None,
                )
            )
        RecallItem.objects.bulk_create(items)
        # Packs still in their sterilised cycle are held: at the centre at once, at a branch
        # until it returns them (they can be neither issued nor used meanwhile).
        current = [(t.pack_id, t.cycle) for t in traced if t.whereabouts != Whereabouts.USED]
        for pack_id, cycle in current:
            Pack.objects.filter(pk=pack_id, cycle=cycle).update(recalled=True)
        Pack.objects.filter(
            pk__in=[t.pack_id for t in traced if t.whereabouts == Whereabouts.IN_CENTRE],
            status__in=(PackStatus.PACKED, PackStatus.STERILISING, PackStatus.STORED),
        ).update(status=PackStatus.QUARANTINED)
        audit.record(
            "sterile.recall.open",
            actor=actor,
            target=recall,
            institution=centre.institution_id,
            after={
                "reason": reason,
                "loads": [x.pk for x in loads],
                "packs": len(traced),
                "patients": len({t.use.patient_id for t in traced if t.use}),
            },
        )
        _notify(recall, traced)
        _maybe_close(recall, actor=actor, now=now)
    return recall


def _notify(recall: Recall, traced: list[Any]) -> None:
    url = reverse("sterile:recall-detail", kwargs={"id": recall.external_id})
    by_branch: dict[int, list[Any]] = defaultdict(list)
    for t in traced:
        if t.whereabouts in (Whereabouts.IN_TRANSIT, Whereabouts.AT_BRANCH, Whereabouts.USED):
            by_branch[t.institution_id].append(t)
    for institution_id, rows in by_branch.items():
        waiting = sum(1 for t in rows if t.whereabouts != Whereabouts.USED)
        used = len(rows) - waiting
        title = _("Recall of sterile packs: %(waiting)s to return, %(used)s used on patients") % {
            "waiting": waiting,
            "used": used,
        }
        for user in _branch_users(institution_id):
            do_send_notification(
                recipient=user,
                verb="sterile.recall",
                title=title,
                body=recall.get_reason_display(),
                url=url,
                urgent=True,
            )
    notified: set[int] = set()
    for t in traced:
        surgeon = t.use.surgeon if t.use is not None else None
        if surgeon is None or surgeon.user_id is None or surgeon.user_id in notified:
            continue
        notified.add(surgeon.user_id)
        do_send_notification(
            recipient=surgeon.user,
            verb="sterile.recall.patient",
            title=_("A pack used at your operation is recalled: follow up your patients"),
            body=recall.get_reason_display(),
            url=url,
            urgent=True,
        )


def notify_emergency_follow_up(load: SterilisationLoad) -> None:
    """Tell the branches that used an emergency-released implant load its BI result
    (WS 310.3-2016 4.4.2.3 e: the result is reported to the user department)."""
    sterilised = PackEvent.objects.filter(
        load=load, step="sterilise", pack_id=OuterRef("pack_id"), cycle=OuterRef("cycle")
    )
    branches = set(
        PackEvent.objects.filter(step="issue")
        .filter(pack_id__in=load.events.values("pack_id"))
        .filter(Exists(sterilised))
        .values_list("institution_id", flat=True)
    )
    title = _("Biological indicator of emergency-released load %(load)s: %(result)s") % {
        "load": str(load),
        "result": load.get_bi_result_display(),
    }
    for institution_id in branches:
        for user in _branch_users(institution_id):
            do_send_notification(recipient=user, verb="sterile.emergency", title=title, urgent=True)


def account_returned(pack: Pack, *, actor: Any, now: datetime.datetime, how: str) -> None:
    """Mark a returned pack's open recall items accounted for; close recalls that are done."""
    items = RecallItem.objects.filter(pack=pack, cycle=pack.cycle, accounted_at__isnull=True)
    recalls = set(items.values_list("recall_id", flat=True))
    items.update(accounted_at=now, accounted_by=actor, accounted_how=how)
    for recall in Recall.objects.filter(pk__in=recalls, closed_at__isnull=True):
        _maybe_close(recall, actor=actor, now=now)


def branches_to_confirm(recall: Recall) -> set[int]:
    """Branches that held packs of the recall (in transit or unused at the branch)."""
    return set(
        recall.items.filter(
            whereabouts__in=(Whereabouts.IN_TRANSIT, Whereabouts.AT_BRANCH)
        ).values_list("institution_id", flat=True)
    )


def _maybe_close(recall: Recall, *, actor: Any, now: datetime.datetime) -> None:
    if recall.items.filter(accounted_at__isnull=True).exists():
        return
    confirmed = set(recall.confirmations.values_list("institution_id", flat=True))
    if branches_to_confirm(recall) - confirmed:
        return
    recall.closed_at = now
    recall.save(update_fields=["closed_at", "updated_at"])
    audit.record(
        "sterile.recall.close",
        actor=actor,
        target=recall,
        institution=recall.centre.institution_id,
        after={"packs": recall.items.count()},
    )


def do_confirm_branch_returns(
    *, actor: Any, recall: Recall, institution_id: int, now: datetime.datetime | None = None
) -> BranchConfirmation:
    """A branch confirms it has sent back every recalled pack it held. Refused while one of its
    packs is still out."""
    require(actor, Perm.USE_STERILE, institution_id)
    now = now or timezone.now()
    with transaction.atomic():
        recall = Recall.objects.select_for_update().get(pk=recall.pk)
        if institution_id not in branches_to_confirm(recall):
            raise Conflict(_("This recall holds no pack of your institution to return."))
        if BranchConfirmation.objects.filter(recall=recall, institution_id=institution_id).exists():
            raise Conflict(_("Your institution has already confirmed its returns."))
        missing = list(
            recall.items.filter(institution_id=institution_id, accounted_at__isnull=True)
            .select_related("pack")
            .values_list("pack__barcode", flat=True)
        )
        if missing:
            raise Conflict(
                _("Scan these packs back first (return step): %(codes)s")
                % {"codes": "、".join(missing)}
            )
        confirmation = BranchConfirmation.objects.create(
            recall=recall, institution_id=institution_id, confirmed_at=now, confirmed_by=actor
        )
        audit.record(
            "sterile.recall.confirm",
            actor=actor,
            target=recall,
            institution=institution_id,
            after={"branch": institution_id},
        )
        _maybe_close(recall, actor=actor, now=now)
    return confirmation
