"""Family-doctor teams and the service packages they sign residents up for."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.network.models import Institution
from lianxin.primarycare.rules import PackageKind, TeamRole
from lianxin.workforce.models import Practitioner


class PackageQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> PackageQuerySet:
        # The county's price list: everyone who sees the registry sees the packages.
        return self.filter(is_active=True) if access.registry_institution_ids else self.none()


class ServicePackage(BaseModel):
    """A service package (服务包) residents sign: the basic package or a paid one, with its items
    and yearly fee. Packages are data: the county keeps its own list."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=PackageKind.choices)
    fee = models.DecimalField(_("fee a year (yuan)"), max_digits=8, decimal_places=2, default=0)
    populations = models.JSONField(
        _("for key populations"), default=list, blank=True, help_text=_("Empty: for everyone.")
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    objects = PackageQuerySet.as_manager()

    class Meta:
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(fee__gte=0), name="package_fee_not_negative")
        ]

    def __str__(self) -> str:
        return self.name


class PackageItem(models.Model):
    """One service of a package and how often a year it is given."""

    package = models.ForeignKey(
        ServicePackage, verbose_name=_("package"), on_delete=models.CASCADE, related_name="items"
    )
    name = models.CharField(_("service"), max_length=120)
    times_per_year = models.PositiveSmallIntegerField(_("times a year"), default=1)

    class Meta:
        verbose_name = _("package item")
        verbose_name_plural = _("package items")
        ordering = ["package", "id"]

    def __str__(self) -> str:
        return self.name


class TeamQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> TeamQuerySet:
        # Teams are part of the registry: members of the community see who serves which village.
        return self.filter(institution_id__in=access.registry_institution_ids)

    def serving(self, institution_ids) -> TeamQuerySet:
        """Teams based at, or serving a village among, ``institution_ids``."""
        served = TeamVillage.objects.filter(team=OuterRef("pk"), village_id__in=institution_ids)
        return self.filter(Q(institution_id__in=institution_ids) | Exists(served))


class Team(BaseModel):
    """A family-doctor team (家庭医生团队): based at a township centre, led by a family doctor, with
    nurses, public-health staff, the village doctors of its villages and maybe a county
    specialist. It serves a set of villages."""

    name = models.CharField(_("name"), max_length=80)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("based at"),
        on_delete=models.PROTECT,
        related_name="family_doctor_teams",
    )
    villages = models.ManyToManyField(
        Institution,
        verbose_name=_("villages served"),
        through="TeamVillage",
        related_name="served_by_teams",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("family-doctor team")
        verbose_name_plural = _("family-doctor teams")
        ordering = ["institution", "name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="team_name_per_centre")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def lead(self) -> Practitioner | None:
        member = next((m for m in self.members.all() if m.role == TeamRole.LEAD), None)
        return member.practitioner if member else None


class TeamVillage(models.Model):
    """A village clinic a team serves; a village is served by one active team."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE)
    village = models.ForeignKey(
        Institution, verbose_name=_("village clinic"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("village served")
        verbose_name_plural = _("villages served")
        constraints = [
            models.UniqueConstraint(fields=["village"], name="village_served_by_one_team")
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.village}"


class TeamMember(models.Model):
    """A practitioner on a team, with their role there."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="members"
    )
    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("practitioner"),
        on_delete=models.PROTECT,
        related_name="team_memberships",
    )
    role = models.CharField(_("role on the team"), max_length=20, choices=TeamRole.choices)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "practitioner"], name="team_member_once"),
            models.UniqueConstraint(
                fields=["team"], condition=Q(role="lead"), name="team_has_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} ({self.get_role_display()})"
