"""Reserved slots: a department's published slots and the form to publish more."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.adapters import run_action
from lianxin.core.permissions import Perm
from lianxin.network.models import Department
from lianxin.referrals import actions
from lianxin.referrals.forms import SlotsForm
from lianxin.referrals.models import AppointmentSlot
from lianxin.referrals.views.common import require_workflow_role


@login_required
def slot_list(request: HttpRequest) -> HttpResponse:
    """Upcoming reserved slots in the network, and the publish form for those who manage them."""
    access = access_for(request.user)
    managed = access.institutions_with(Perm.MANAGE_SLOTS)
    if not managed:
        require_workflow_role(request)
    departments = Department.objects.filter(institution_id__in=managed, is_active=True).order_by(
        "name"
    )
    form = SlotsForm(request.POST or None, departments=departments) if managed else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Your role does not publish slots."))
        if form.is_valid():
            data = form.cleaned_data
            if run_action(
                request,
                form,
                lambda: actions.do_publish_slots(
                    actor=request.user,
                    department=data["department"],
                    starts_at=data["starts_at"],
                    minutes=data["minutes"],
                    count=data["count"],
                ),
                _("Slots published."),
            ):
                return redirect("referrals:slots")
    slots = (
        AppointmentSlot.objects.visible_to(request.user)
        .filter(starts_at__gte=timezone.now(), is_cancelled=False)
        .select_related("institution", "department", "practitioner", "referral__patient")
        .order_by("starts_at")
    )
    page = Paginator(slots, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/slots.html",
        {"form": form, "page": page, "managed": managed},
    )


@login_required
@require_POST
def slot_withdraw(request: HttpRequest, id) -> HttpResponse:
    slot = get_for_user(AppointmentSlot, request.user, id)
    run_action(
        request,
        None,
        lambda: actions.do_withdraw_slot(actor=request.user, slot=slot),
        _("Slot withdrawn."),
    )
    return redirect("referrals:slots")
