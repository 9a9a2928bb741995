"""Recalls: the list, one recall with every pack and patient, a branch's confirmation, and the
printable report. Showing a recall's patients is an audited read."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core import audit
from lianxin.core.access import access_for, get_for_user
from lianxin.core.pdf import FONT_PACKAGE, FontUnavailable
from lianxin.core.permissions import Perm
from lianxin.sterile import actions
from lianxin.sterile.actions.recalls import branches_to_confirm
from lianxin.sterile.models import Recall, RecallItem
from lianxin.sterile.printing import build_recall_report_pdf
from lianxin.sterile.views.common import is_centre, require_perm, run_action

logger = logging.getLogger(__name__)
ITEM_RELATED = (
    "pack__instrument_set",
    "institution",
    "load__machine",
    "use__patient",
    "use__surgeon",
    "accounted_by",
)


def recall_items(recall: Recall, user) -> list[RecallItem]:
    """The recall's packs the user may see: all of them for the centre, a branch's own."""
    items = recall.items.select_related(*ITEM_RELATED).order_by(
        "institution__name", "pack__barcode"
    )
    access = access_for(user)
    if not (
        access.is_superuser or access.has_perm(Perm.PROCESS_STERILE, recall.centre.institution_id)
    ):
        items = items.filter(institution_id__in=access.institution_ids)
    return list(items)


def audit_read(user, recall: Recall, items: list[RecallItem], channel: str) -> None:
    patients = sorted({i.use.patient_id for i in items if i.use is not None})
    if not patients:
        return
    with transaction.atomic():
        audit.record(
            "sterile.recall.read",
            actor=user,
            target=recall,
            institution=recall.centre.institution_id,
            after={"channel": channel, "patients": patients},
        )


@login_required
def recall_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    recalls = (
        Recall.objects.visible_to(request.user)
        .select_related("trigger_load__machine", "trigger_test__machine", "centre")
        .prefetch_related("loads")
        .order_by("-opened_at")[:100]
    )
    return render(
        request, "sterile/recalls.html", {"recalls": recalls, "centre_user": is_centre(request)}
    )


@login_required
def recall_detail(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    recall = get_for_user(
        Recall.objects.select_related("centre__institution", "trigger_load__machine", "opened_by"),
        request.user,
        id,
    )
    items = recall_items(recall, request.user)
    audit_read(request.user, recall, items, "page")
    access = access_for(request.user)
    to_confirm = branches_to_confirm(recall)
    confirmed = set(recall.confirmations.values_list("institution_id", flat=True))
    mine = [i for i in access.institutions_with(Perm.USE_STERILE) if i in to_confirm - confirmed]
    return render(
        request,
        "sterile/recall_detail.html",
        {
            "recall": recall,
            "items": items,
            "uses": [i for i in items if i.use is not None],
            "outstanding": sum(1 for i in items if i.accounted_at is None),
            "loads": recall.loads.select_related("machine").order_by("started_at"),
            "confirmations": recall.confirmations.select_related("institution", "confirmed_by"),
            "to_confirm": mine,
            "centre_user": is_centre(request),
        },
    )


@login_required
@require_POST
def recall_confirm(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.USE_STERILE)
    recall = get_for_user(Recall, request.user, id)
    access = access_for(request.user)
    institution_id = next(
        (i for i in access.institutions_with(Perm.USE_STERILE) if i in branches_to_confirm(recall)),
        None,
    )
    if institution_id is None:
        from django.contrib import messages

        messages.error(request, _("This recall holds no pack of your institution to return."))
        return redirect("sterile:recall-detail", id=recall.external_id)
    run_action(
        request,
        lambda: actions.do_confirm_branch_returns(
            actor=request.user, recall=recall, institution_id=institution_id
        ),
        _("Returns confirmed."),
    )
    return redirect("sterile:recall-detail", id=recall.external_id)


@login_required
def recall_report(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    recall = get_for_user(
        Recall.objects.select_related("centre__institution", "trigger_load__machine", "opened_by"),
        request.user,
        id,
    )
    items = recall_items(recall, request.user)
    try:
        pdf = build_recall_report_pdf(recall, items)
    except FontUnavailable as exc:
        logger.warning("%s", exc)
        message = _(
            "The report cannot be printed: the server has no Chinese font. Ask the administrator "
            "to install the package %(package)s or to set LIANXIN_PDF_FONT."
        ) % {"package": FONT_PACKAGE}
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    audit_read(request.user, recall, items, "report")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recall-{recall.external_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
