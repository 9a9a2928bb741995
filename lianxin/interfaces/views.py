"""The administrator's HL7 pages: failed messages (and the others), one message raw with its
answer, and re-running a failed one after its mapping was fixed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.errors import ActionError
from lianxin.interfaces.actions import (
    do_rerun_hl7_message,
    hl7_admin_institution_ids,
    record_hl7_message_read,
)
from lianxin.interfaces.models import Direction, Hl7Message, Outcome

PAGE_SIZE = 50
BOXES = ("failed", "accepted", "outbound")


def _messages_for(request: HttpRequest) -> QuerySet[Hl7Message]:
    ids = hl7_admin_institution_ids(request.user)
    if ids is not None and not ids:
        raise PermissionDenied(_("Only an administrator looks after the HL7 interfaces."))
    rows = Hl7Message.objects.select_related("peer", "order")
    if ids is not None:
        rows = rows.filter(Q(peer__institution_id__in=ids))
    return rows


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    box = request.GET.get("box", "failed")
    box = box if box in BOXES else "failed"
    rows = _messages_for(request)
    if box == "failed":
        rows = rows.failed().filter(resolved_at__isnull=True, rerun_of__isnull=True)
    elif box == "accepted":
        rows = rows.filter(direction=Direction.IN, outcome=Outcome.AA)
    else:
        rows = rows.filter(direction=Direction.OUT)
    page = Paginator(rows.defer("raw", "ack"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "interfaces/hl7_messages.html", {"page": page, "box": box})


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _messages_for(request).filter(pk=pk).first()
    if message is None:
        raise Http404
    record_hl7_message_read(actor=request.user, message=message)
    return render(
        request,
        "interfaces/hl7_message.html",
        {
            "message": message,
            "segments": message.raw.strip("\r").split("\r"),
            "reruns": message.reruns.order_by("received_at"),
            "can_rerun": message.direction == Direction.IN
            and message.outcome in (Outcome.AE, Outcome.AR)
            and message.resolved_at is None,
        },
    )


@login_required
@require_POST
def message_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    message = _messages_for(request).filter(pk=pk).first()
    if message is None:
        raise Http404
    try:
        result = do_rerun_hl7_message(actor=request.user, message=message)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        if result.outcome == Outcome.AA:
            messages.success(request, _("Re-run: accepted and stored."))
        else:
            messages.error(
                request,
                _("Re-run: still refused (%(code)s): %(text)s")
                % {"code": result.outcome, "text": result.text},
            )
    return redirect("interfaces:hl7-message", pk=message.pk)
