"""Capability building at a glance (techniques, co-built specialties, placements, sessions) and,
for the outreach office, the forms to introduce a technique, record a case, place a trainee and
record an assessment."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.adapters import run_action
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution, Tier
from lianxin.outreach import actions
from lianxin.outreach.forms import AssessForm, CaseForm, PlacementForm, TechniqueForm
from lianxin.outreach.models import (
    CoBuiltSpecialty,
    EducationSession,
    TechniqueTransfer,
    TrainingPlacement,
)
from lianxin.outreach.rules import AssessmentResult
from lianxin.outreach.views.common import require_registry
from lianxin.workforce.models import Practitioner


def _forms(request: HttpRequest, managed: frozenset[int]) -> dict:
    user = request.user
    data = request.POST if request.method == "POST" else None
    posted = request.POST.get("form") if data else None
    staff = (
        Practitioner.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("institution")
        .order_by("institution__name", "name")
    )
    hosts = (
        Institution.objects.visible_to(user)
        .filter(is_active=True)
        .exclude(tier=Tier.COMMISSION)
        .order_by("tier", "name")
    )
    ours = Q(lead_institution_id__in=managed) | Q(host_institution_id__in=managed)
    return {
        "technique": TechniqueForm(
            data if posted == "technique" else None,
            prefix="technique",
            practitioners=staff.filter(institution_id__in=managed),
            hosts=hosts,
        ),
        "case": CaseForm(
            data if posted == "case" else None,
            prefix="case",
            techniques=TechniqueTransfer.objects.visible_to(user)
            .filter(ours)
            .select_related("host_institution")
            .order_by("-introduced_on"),
            operators=staff,
        ),
        "placement": PlacementForm(
            data if posted == "placement" else None,
            prefix="placement",
            practitioners=staff,
            hosts=hosts,
        ),
        "assess": AssessForm(
            data if posted == "assess" else None,
            prefix="assess",
            placements=TrainingPlacement.objects.visible_to(user)
            .filter(host_institution_id__in=managed, result=AssessmentResult.PENDING)
            .select_related("trainee", "host_institution")
            .order_by("ends_on"),
        ),
    }


def _act(request: HttpRequest, name: str, form) -> bool:
    data = form.cleaned_data
    user = request.user
    calls = {
        "technique": lambda: actions.do_introduce_technique(
            actor=user,
            host_institution=data["host_institution"],
            name=data["name"],
            mentor=data["mentor"],
            introduced_on=data["introduced_on"],
            capability=data["capability"],
        ),
        "case": lambda: actions.do_record_technique_case(
            actor=user,
            technique=data["technique"],
            performed_on=data["performed_on"],
            with_mentor=data["with_mentor"],
            operator=data["operator"],
        ),
        "placement": lambda: actions.do_create_placement(
            actor=user,
            trainee=data["trainee"],
            host_institution=data["host_institution"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        ),
        "assess": lambda: actions.do_assess_placement(
            actor=user,
            placement=data["placement"],
            result=data["result"],
            assessed_on=data["assessed_on"],
        ),
    }
    return run_action(request, form, calls[name], _("Saved."))


@login_required
def building_view(request: HttpRequest) -> HttpResponse:
    require_registry(request)
    user = request.user
    access = access_for(user)
    managed = access.institutions_with(Perm.MANAGE_OUTREACH)
    forms = _forms(request, managed) if managed else None
    if request.method == "POST":
        name = request.POST.get("form", "")
        if forms is None or name not in forms:
            raise PermissionDenied(_("Your role does not manage outreach."))
        form = forms[name]
        if form.is_valid() and _act(request, name, form):
            return redirect("outreach:building")
    return render(
        request,
        "outreach/building.html",
        {
            "forms": forms,
            "techniques": TechniqueTransfer.objects.visible_to(user)
            .select_related("host_institution", "mentor", "lead_institution")
            .order_by("-introduced_on")[:50],
            "specialties": CoBuiltSpecialty.objects.visible_to(user)
            .select_related("host_institution", "lead_institution")
            .order_by("-starts_on")[:50],
            "placements": TrainingPlacement.objects.visible_to(user)
            .select_related("trainee", "home_institution", "host_institution", "department")
            .order_by("-starts_on")[:50],
            "sessions": EducationSession.objects.visible_to(user)
            .select_related("course__provider", "lecturer")
            .annotate(attendees=Sum("attendance__attendees"))
            .order_by("-held_on")[:50],
        },
    )
