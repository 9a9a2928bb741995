"""Contracts between residents and a family-doctor team, and the key populations they are in."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.network.models import Institution
from lianxin.patients.models import Patient
from lianxin.primarycare.models.teams import ServicePackage, Team, TeamVillage
from lianxin.primarycare.rules import ConsentMethod, Population, TerminationReason
from lianxin.workforce.models import Practitioner


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RENEWED = "renewed", _("Renewed")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


def team_scope(access: Access, team_field: str = "team", village_field: str = "village") -> Q:
    """Rows of a team the user acts for: clinical at the team's centre, at the row's village, or
    at a village the team serves."""
    ids = access.clinical_institution_ids
    served = TeamVillage.objects.filter(team_id=OuterRef(f"{team_field}_id"), village_id__in=ids)
    return (
        Q(**{f"{team_field}__institution_id__in": ids})
        | Q(**{f"{village_field}_id__in": ids})
        | Exists(served)
    )


class ContractQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> ContractQuerySet:
        if not access.clinical_institution_ids:
            return self.none()
        return self.filter(team_scope(access))

    def active_on(self, day: datetime.date) -> ContractQuerySet:
        return self.filter(
            status__in=[ContractStatus.ACTIVE, ContractStatus.RENEWED],
            starts_on__lte=day,
            ends_on__gte=day,
        ).exclude(terminated_on__lte=day)


class Contract(BaseModel):
    """A resident's family-doctor contract (家庭医生签约): the team and doctor, the packages and
    fee, the period, and the consent record. A resident has one active contract at a time."""

    patient = models.ForeignKey(
        Patient, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="contracts"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="contracts"
    )
    doctor = models.ForeignKey(
        Practitioner,
        verbose_name=_("family doctor"),
        on_delete=models.PROTECT,
        related_name="family_contracts",
    )
    village = models.ForeignKey(
        Institution,
        verbose_name=_("village clinic"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The resident's village clinic, for the village doctor's lists."),
    )
    packages = models.ManyToManyField(
        ServicePackage, verbose_name=_("packages"), through="ContractPackage", related_name="+"
    )
    fee_total = models.DecimalField(_("fee (yuan)"), max_digits=8, decimal_places=2, default=0)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    consent_method = models.CharField(_("consent"), max_length=12, choices=ConsentMethod.choices)
    consent_by = models.CharField(_("signed by (resident or guardian)"), max_length=40)
    consent_at = models.DateTimeField(_("signed at"), default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    renews = models.OneToOneField(
        "self",
        verbose_name=_("renews contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewed_by",
    )
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    termination_reason = models.CharField(
        _("reason for termination"), max_length=15, choices=TerminationReason.choices, blank=True
    )
    termination_note = models.CharField(_("termination note"), max_length=200, blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("family-doctor contract")
        verbose_name_plural = _("family-doctor contracts")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["team", "status", "ends_on"], name="contract_team_idx"),
            models.Index(fields=["village", "status"], name="contract_village_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="one_active_contract_per_resident",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="contract_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="terminated") | ~Q(termination_reason=""),
                name="terminated_contract_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.team}"

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return (
            self.status == ContractStatus.ACTIVE
            and self.starts_on <= today <= self.ends_on
            and not (self.terminated_on and self.terminated_on <= today)
        )


class ContractPackage(models.Model):
    """A package on a contract, with the fee agreed when it was signed."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="lines"
    )
    package = models.ForeignKey(
        ServicePackage, verbose_name=_("package"), on_delete=models.PROTECT, related_name="+"
    )
    fee = models.DecimalField(_("fee (yuan)"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("contracted package")
        verbose_name_plural = _("contracted packages")
        constraints = [
            models.UniqueConstraint(fields=["contract", "package"], name="package_once_a_contract")
        ]

    def __str__(self) -> str:
        return str(self.package)


class PopulationSource(models.TextChoices):
    REGISTRY = "registry", _("From the registry")
    DIAGNOSIS = "diagnosis", _("From a diagnosis")
    RECORDED = "recorded", _("Recorded by the team")


class KeyPopulationQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> KeyPopulationQuerySet:
        return self.filter(patient__in=Patient.objects.scope(access))

    def current(self) -> KeyPopulationQuerySet:
        return self.filter(ended_on__isnull=True)


class KeyPopulation(models.Model):
    """A resident's membership of a key population (重点人群) that rests on a diagnosis or the
    team's record: hypertension, type-2 diabetes, pregnancy, severe mental disorder,
    tuberculosis. The age groups (65 or more, 0–6) are read from the birth date instead."""

    patient = models.ForeignKey(
        Patient,
        verbose_name=_("resident"),
        on_delete=models.CASCADE,
        related_name="key_populations",
    )
    population = models.CharField(_("population"), max_length=20, choices=Population.choices)
    source = models.CharField(_("source"), max_length=10, choices=PopulationSource.choices)
    diagnosis_code = models.CharField(_("diagnosis (ICD-10)"), max_length=20, blank=True)
    since = models.DateField(_("since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = KeyPopulationQuerySet.as_manager()

    class Meta:
        verbose_name = _("key population")
        verbose_name_plural = _("key populations")
        ordering = ["population"]
        indexes = [models.Index(fields=["population", "ended_on"], name="key_population_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "population"],
                condition=Q(ended_on__isnull=True),
                name="key_population_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.get_population_display()}"
