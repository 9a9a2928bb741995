"""The family-doctor teams: the list, one team's members by role and villages, and setting a
team up (the centre's or the network's administrator)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.adapters import page_step, submit
from lianxin.core.inputs import resolve
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution, Tier
from lianxin.primarycare.actions import may_manage_team
from lianxin.primarycare.inputs import TEAM_STEPS, CreateTeamForm
from lianxin.primarycare.models import Team, TeamMember
from lianxin.primarycare.rules import TeamRole


def load_team(request: HttpRequest, id: Any) -> Team:
    return resolve(Team.objects.select_related("institution"), request.user, id)


def team_url(team: Team) -> str:
    return reverse("primarycare:team", kwargs={"id": team.external_id})


team_step_views = {
    name: page_step(form, load=load_team, done=team_url) for name, form in TEAM_STEPS.items()
}


def managed_centres(user: Any):
    """The centres whose teams the user sets up."""
    access = access_for(user)
    centres = Institution.objects.visible_to(user).filter(
        tier__in=[Tier.TOWNSHIP, Tier.COMMUNITY_CENTRE], is_active=True
    )
    if access.has_perm(Perm.MANAGE_NETWORK):
        return centres.order_by("name")
    return centres.filter(pk__in=access.institutions_with(Perm.MANAGE_INSTITUTION)).order_by("name")


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = (
        Team.objects.visible_to(request.user)
        .select_related("institution")
        .prefetch_related("members__practitioner", "villages")
        .order_by("institution__name", "name")
    )
    return render(
        request,
        "primarycare/teams.html",
        {"teams": teams, "centres": managed_centres(request.user)},
    )


@login_required
def team_detail(request: HttpRequest, id) -> HttpResponse:
    team = load_team(request, id)
    members = list(
        TeamMember.objects.filter(team=team)
        .select_related("practitioner__institution")
        .order_by("role", "practitioner__name")
    )
    order = list(TeamRole.values)
    members.sort(key=lambda m: (order.index(m.role), m.practitioner.name))
    manage = may_manage_team(request.user, team.institution_id)
    context = {
        "team": team,
        "members": members,
        "villages": team.villages.order_by("name"),
        "manage": manage,
        "contracts": team.contracts.filter(status="active").count(),
    }
    if manage:
        context["member_form"] = TEAM_STEPS["add_member"](user=request.user, target=team)
        context["village_form"] = TEAM_STEPS["add_village"](user=request.user, target=team)
    return render(request, "primarycare/team.html", context)


@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    """Set up a team at a centre (``?centre=<id>``, from the teams list)."""
    centre = resolve(Institution, request.user, request.GET.get("centre") or None)
    if not may_manage_team(request.user, centre):
        raise PermissionDenied(
            _("Only the centre's administrator sets up its family-doctor teams.")
        )
    form = CreateTeamForm(request.POST or None, user=request.user, target=centre)
    if request.method == "POST" and submit(form):
        messages.success(request, str(form.success))
        return redirect(team_url(form.result))
    return render(request, "primarycare/team_new.html", {"form": form, "centre": centre})
