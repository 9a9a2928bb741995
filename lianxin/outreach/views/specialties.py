"""Co-built specialties (专科共建): the list, a new one, and one with its edit form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lianxin.core.access import get_for_user
from lianxin.core.adapters import run_action
from lianxin.network.models import Agreement, Institution, Tier
from lianxin.outreach import actions
from lianxin.outreach.forms import SpecialtyForm
from lianxin.outreach.models import CoBuiltSpecialty
from lianxin.outreach.rules import SpecialtyStatus
from lianxin.outreach.views.common import (
    is_outreach_office,
    may_manage,
    outreach_offices,
    require_registry,
)

SPECIALTY_RELATED = ("lead_institution", "host_institution", "agreement", "specialty")


def _institutions(user) -> QuerySet:
    return (
        Institution.objects.visible_to(user)
        .filter(is_active=True)
        .exclude(tier=Tier.COMMISSION)
        .order_by("tier", "name")
    )


def _agreements(user) -> QuerySet:
    return (
        Agreement.objects.visible_to(user)
        .select_related("party_a", "party_b")
        .order_by("party_a__name", "party_b__name", "-starts_on")
    )


@login_required
def specialty_list(request: HttpRequest) -> HttpResponse:
    require_registry(request)
    items = CoBuiltSpecialty.objects.visible_to(request.user).select_related(*SPECIALTY_RELATED)
    status = request.GET.get("status", "")
    if status in SpecialtyStatus.values:
        items = items.filter(status=status)
    page = Paginator(items.order_by("-starts_on", "pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/specialties.html",
        {
            "page": page,
            "status": status,
            "statuses": SpecialtyStatus.choices,
            "can_create": is_outreach_office(request.user),
        },
    )


@login_required
def specialty_create(request: HttpRequest) -> HttpResponse:
    outreach_offices(request)
    user = request.user
    form = SpecialtyForm(
        request.POST or None, institutions=_institutions(user), agreements=_agreements(user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[CoBuiltSpecialty] = []
        if run_action(
            request,
            form,
            lambda: created.append(
                actions.do_create_cobuilt_specialty(
                    actor=user,
                    lead_institution=data["lead_institution"],
                    host_institution=data["host_institution"],
                    name=data["name"],
                    goals=data["goals"],
                    status=data["status"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    specialty=data["specialty"],
                    agreement=data["agreement"],
                )
            ),
            _("Co-built specialty saved."),
        ):
            return redirect("outreach:specialty", id=created[0].external_id)
    return render(
        request,
        "outreach/specialty_form.html",
        {"form": form, "heading": _("New co-built specialty")},
    )


@login_required
def specialty_detail(request: HttpRequest, id) -> HttpResponse:
    require_registry(request)
    user = request.user
    item = get_for_user(CoBuiltSpecialty.objects.select_related(*SPECIALTY_RELATED), user, id)
    editable = may_manage(user, item.lead_institution_id, item.host_institution_id)
    if request.method == "POST" and not editable:
        raise PermissionDenied(_("Your role does not manage outreach for these institutions."))
    form = None
    if editable:
        form = SpecialtyForm(
            request.POST if request.method == "POST" else None,
            initial={
                "name": item.name,
                "specialty": item.specialty_id,
                "agreement": item.agreement_id,
                "goals": item.goals,
                "status": item.status,
                "starts_on": item.starts_on,
                "ends_on": item.ends_on,
            },
            institutions=Institution.objects.none(),
            agreements=_agreements(user).filter(
                party_a_id__in=[item.lead_institution_id, item.host_institution_id],
                party_b_id__in=[item.lead_institution_id, item.host_institution_id],
            ),
            editing=True,
        )
        if (
            request.method == "POST"
            and form.is_valid()
            and run_action(
                request,
                form,
                lambda: actions.do_update_cobuilt_specialty(
                    actor=user, item=item, **form.cleaned_data
                ),
                _("Co-built specialty saved."),
            )
        ):
            return redirect("outreach:specialty", id=item.external_id)
    return render(request, "outreach/specialty_detail.html", {"item": item, "form": form})
