"""Teams and packages: set up by the township centre's administrator (or the network's)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution, Tier
from lianxin.primarycare.actions.common import clean
from lianxin.primarycare.models import (
    PackageItem,
    ServicePackage,
    Team,
    TeamMember,
    TeamVillage,
)
from lianxin.primarycare.rules import DEFAULT_PACKAGES, TeamRole
from lianxin.workforce.models import Practitioner

COUNTY_TIERS = (Tier.COUNTY_HOSPITAL, Tier.COUNTY_TCM, Tier.COUNTY_MCH)


def may_manage_team(actor: Any, institution: Institution | int) -> bool:
    """The centre's administrator, or the network's, sets up the centre's teams."""
    access = access_for(actor)
    return access.has_perm(Perm.MANAGE_INSTITUTION, institution) or access.has_perm(
        Perm.MANAGE_NETWORK
    )


def _require_manager(actor: Any, institution: Institution | int) -> None:
    if not may_manage_team(actor, institution):
        raise NotAllowed(_("Only the centre's administrator sets up its family-doctor teams."))


def _village_errors(institution: Institution, villages: Sequence[Institution]) -> list[str]:
    errors = []
    for village in villages:
        if village.tier != Tier.VILLAGE or village.parent_id != institution.pk:
            errors.append(
                _("%(v)s is not a village clinic of %(c)s.") % {"v": village, "c": institution}
            )
    taken = TeamVillage.objects.filter(village__in=villages).select_related("team", "village")
    for row in taken:
        errors.append(_("%(v)s is already served by %(t)s.") % {"v": row.village, "t": row.team})
    return errors


def member_error(
    team_institution: Institution,
    villages: Iterable[int],
    practitioner: Practitioner,
    role: str,
) -> str | None:
    """Why ``practitioner`` cannot hold ``role`` on a team of ``team_institution`` serving
    ``villages`` (国卫基层发〔2022〕10号: the centre's doctors, nurses and public-health staff, the
    village doctors of the team's villages, a specialist of a county hospital), or None."""
    if role not in TeamRole.values:
        return _("Choose each member's role from the list.")
    if not practitioner.is_active:
        return _("%(p)s no longer works in the network.") % {"p": practitioner.name}
    if role == TeamRole.VILLAGE_DOCTOR:
        if practitioner.institution_id not in set(villages):
            return _("A village doctor works at one of the team's village clinics.")
        return None
    if role == TeamRole.SPECIALIST:
        county = Institution.objects.filter(
            pk=practitioner.institution_id,
            tier__in=COUNTY_TIERS,
            community_memberships__community__members__member_institution=team_institution,
            community_memberships__community__kind="county",
        )
        if not county.exists():
            return _("A county specialist works at a county hospital of the team's community.")
        return None
    if practitioner.institution_id != team_institution.pk:
        return _("%(p)s does not work at %(c)s.") % {
            "p": practitioner.name,
            "c": team_institution.name,
        }
    return None


def do_create_team(
    *,
    actor: Any,
    institution: Institution,
    name: str,
    villages: Iterable[Institution],
    members: Sequence[tuple[Practitioner, str]],
) -> Team:
    """A team at a township centre serving some of its villages; exactly one lead."""
    _require_manager(actor, institution)
    name = clean(name, 80)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the team a name.")]
    elif Team.objects.filter(institution=institution, name=name).exists():
        errors["name"] = [_("The centre has a team of this name already.")]
    if institution.tier not in (Tier.TOWNSHIP, Tier.COMMUNITY_CENTRE):
        errors["institution"] = [_("A team is based at a township or community health centre.")]
    villages = list(villages)
    if village_errors := _village_errors(institution, villages):
        errors["villages"] = village_errors
    leads = [p for p, role in members if role == TeamRole.LEAD]
    if len(leads) != 1:
        errors["members"] = [_("A team has exactly one lead family doctor.")]
    village_ids = {v.pk for v in villages}
    for practitioner, role in members:
        problem = member_error(institution, village_ids, practitioner, role)
        if problem:
            errors.setdefault("members", []).append(problem)
    if len({p.pk for p, _role in members}) != len(members):
        errors.setdefault("members", []).append(_("Each member is on the team once."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        team = Team.objects.create(name=name, institution=institution)
        TeamVillage.objects.bulk_create(TeamVillage(team=team, village=v) for v in villages)
        TeamMember.objects.bulk_create(
            TeamMember(team=team, practitioner=p, role=role) for p, role in members
        )
        audit.record(
            "primarycare.team.create",
            actor=actor,
            target=team,
            institution=institution.pk,
            after={
                "name": name,
                "villages": [v.code for v in villages],
                "members": [(str(p.external_id), role) for p, role in members],
            },
        )
    return team


def _lock(team: Team) -> Team:
    return Team.objects.select_for_update().select_related("institution").get(pk=team.pk)


def do_add_team_member(
    *, actor: Any, team: Team, practitioner: Practitioner, role: str
) -> TeamMember:
    """Put a practitioner on the team in a role. A new lead takes over: the former lead stays
    on the team as a family doctor."""
    _require_manager(actor, team.institution_id)
    with transaction.atomic():
        team = _lock(team)
        villages = set(TeamVillage.objects.filter(team=team).values_list("village_id", flat=True))
        if TeamMember.objects.filter(team=team, practitioner=practitioner).exists():
            raise ValidationError(
                {"practitioner": [_("%(p)s is on the team already.") % {"p": practitioner.name}]}
            )
        problem = member_error(team.institution, villages, practitioner, role)
        if problem:
            raise ValidationError({"practitioner": [problem]})
        former = None
        if role == TeamRole.LEAD:
            former = TeamMember.objects.filter(team=team, role=TeamRole.LEAD).first()
            if former is not None:
                former.role = TeamRole.DOCTOR
                former.save(update_fields=["role"])
        member = TeamMember.objects.create(team=team, practitioner=practitioner, role=role)
        audit.record(
            "primarycare.team.member.add",
            actor=actor,
            target=team,
            institution=team.institution_id,
            after={
                "practitioner": str(practitioner.external_id),
                "role": role,
                "former_lead": str(former.practitioner.external_id) if former else None,
            },
        )
    return member


def do_remove_team_member(*, actor: Any, team: Team, member: TeamMember) -> None:
    """Take a member off the team. The lead stays until another takes over; a family doctor
    with running contracts stays until they are handed to another."""
    _require_manager(actor, team.institution_id)
    if member.team_id != team.pk:
        raise ValidationError({"member": [_("Not found.")]})
    if member.role == TeamRole.LEAD:
        raise ActionError(_("A team keeps its lead: make another member the lead first."))
    from lianxin.primarycare.models import Contract, ContractStatus

    running = Contract.objects.filter(
        team=team, doctor_id=member.practitioner_id, status=ContractStatus.ACTIVE
    ).count()
    if running:
        raise ActionError(
            _("%(p)s is the family doctor of %(n)d running contracts: hand them over first.")
            % {"p": member.practitioner.name, "n": running}
        )
    with transaction.atomic():
        _lock(team)
        member.delete()
        audit.record(
            "primarycare.team.member.remove",
            actor=actor,
            target=team,
            institution=team.institution_id,
            before={"practitioner": str(member.practitioner.external_id), "role": member.role},
        )


def do_add_team_village(*, actor: Any, team: Team, village: Institution) -> TeamVillage:
    """The team serves one more of its centre's village clinics (a village has one team)."""
    _require_manager(actor, team.institution_id)
    with transaction.atomic():
        team = _lock(team)
        problems = _village_errors(team.institution, [village])
        if problems:
            raise ValidationError({"village": problems})
        row = TeamVillage.objects.create(team=team, village=village)
        audit.record(
            "primarycare.team.village.add",
            actor=actor,
            target=team,
            institution=team.institution_id,
            after={"village": village.code},
        )
    return row


def do_remove_team_village(*, actor: Any, team: Team, village: Institution) -> None:
    """The team no longer serves a village; its village doctors leave the team with it. Running
    contracts stay with the team until they end or are terminated."""
    _require_manager(actor, team.institution_id)
    with transaction.atomic():
        team = _lock(team)
        row = TeamVillage.objects.filter(team=team, village=village).first()
        if row is None:
            raise ValidationError({"village": [_("The team does not serve this village.")]})
        row.delete()
        leaving = TeamMember.objects.filter(
            team=team, role=TeamRole.VILLAGE_DOCTOR, practitioner__institution=village
        )
        names = list(leaving.values_list("practitioner__external_id", flat=True))
        leaving.delete()
        audit.record(
            "primarycare.team.village.remove",
            actor=actor,
            target=team,
            institution=team.institution_id,
            before={"village": village.code, "village_doctors": [str(n) for n in names]},
        )


def do_load_default_packages(*, actor: Any) -> int:
    """Put the default package list (rules.DEFAULT_PACKAGES) in the catalogue; packages already
    there are kept as the county changed them. Returns how many were added."""
    access = access_for(actor) if actor is not None else None
    if access is not None and not access.has_perm(Perm.MANAGE_NETWORK):
        raise NotAllowed(_("Only the network administrator changes the package list."))
    added = 0
    with transaction.atomic():
        for spec in DEFAULT_PACKAGES:
            package, created = ServicePackage.objects.get_or_create(
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "kind": spec.kind,
                    "fee": spec.fee,
                    "populations": list(spec.populations),
                    "source": spec.source,
                },
            )
            if created:
                added += 1
                PackageItem.objects.bulk_create(
                    PackageItem(package=package, name=i.name, times_per_year=i.times_per_year)
                    for i in spec.items
                )
        audit.record(
            "primarycare.packages.load",
            actor=actor or "lianxin",
            target_type="primarycare.servicepackage",
            after={"added": added},
        )
    return added
