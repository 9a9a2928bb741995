"""Checks the primarycare actions share: who acts for a team, and for which site."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm
from lianxin.primarycare.models import Team, TeamMember, TeamVillage


def team_sites(team: Team) -> set[int]:
    """The team's centre and the village clinics it serves."""
    return {team.institution_id} | set(
        TeamVillage.objects.filter(team=team).values_list("village_id", flat=True)
    )


def membership(actor: Any, team: Team) -> TeamMember | None:
    if not getattr(actor, "is_authenticated", False):
        return None
    return (
        TeamMember.objects.filter(team=team, practitioner__user=actor)
        .select_related("practitioner")
        .first()
    )


def acting_site(actor: Any, team: Team) -> tuple[int, TeamMember | None]:
    """The team site the actor acts for, and their place on the team; ``NotAllowed`` unless the
    actor is on the team and holds the family-doctor permission at one of its sites."""
    access = access_for(actor)
    sites = [s for s in team_sites(team) if access.has_perm(Perm.FAMILY_DOCTOR, s)]
    member = membership(actor, team)
    if access.is_superuser:
        return (sites[0] if sites else team.institution_id), member
    if not sites or member is None:
        raise NotAllowed(
            _("Only a member of %(team)s records contracts and follow-ups for it.")
            % {"team": team.name}
        )
    # Prefer the actor's own village clinic (a village doctor), else the centre.
    sites.sort(key=lambda s: s == team.institution_id)
    return sites[0], member


def clean(value: str | None, limit: int = 200) -> str:
    return " ".join((value or "").split())[:limit]
