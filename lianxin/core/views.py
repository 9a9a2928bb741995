"""Shell pages: the home page, the notification inbox and the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for
from lianxin.core.actions import do_mark_notifications_read
from lianxin.core.home import cards_for, register_card
from lianxin.core.models import AuditEvent, Notification
from lianxin.core.permissions import Perm

INBOX_PAGE_SIZE = 30
AUDIT_PAGE_SIZE = 50


def _memberships(request: HttpRequest, access) -> dict:
    rows = request.user.memberships.filter(is_active=True).select_related(
        "institution", "department"
    )
    return {"memberships": rows}


def _latest_notifications(request: HttpRequest, access) -> dict:
    return {"notifications": request.user.notifications.all()[:5]}


register_card("me", "core/cards/me.html", context=_memberships, order=0)
register_card("inbox", "core/cards/inbox.html", context=_latest_notifications, order=5)
register_card("patients", "core/cards/patients.html", perm=Perm.VIEW_PATIENT, order=10)
register_card("registry", "core/cards/registry.html", perm=Perm.VIEW_REGISTRY, order=50)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    cards = [card.render(request, access) for card in cards_for(access)]
    return render(request, "core/home.html", {"cards": cards})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = request.user.notifications.all()
    show = request.GET.get("show", "all")
    if show == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page, "show": show})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of them read, then go where it points or back."""
    public_id = request.POST.get("id")
    if public_id:
        notification = get_object_or_404(
            Notification.objects.filter(recipient=request.user), external_id=public_id
        )
        do_mark_notifications_read(actor=request.user, notifications=[notification])
        target = notification.url
        if request.POST.get("open") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}
        ):
            return redirect(target)
    else:
        do_mark_notifications_read(actor=request.user, notifications=None)
    return redirect("inbox")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Audit rows written on behalf of the institutions the user audits (administrators)."""
    access = access_for(request.user)
    institutions = access.institutions_with(Perm.VIEW_AUDIT)
    if not (access.is_superuser or institutions):
        raise PermissionDenied(_("Your role does not give access to the audit log."))
    events = AuditEvent.objects.select_related("actor__practitioner").order_by("-seq")
    if not access.is_superuser:
        events = events.filter(institution_id_ref__in=institutions)
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    who = request.GET.get("actor", "").strip()
    if who:
        events = events.filter(Q(actor_label=who) | Q(actor__username=who))
    target = request.GET.get("target", "").strip()
    if target:
        events = events.filter(target_id=target)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_log.html",
        {"page": page, "action": action, "actor": who, "target": target},
    )
