"""Data the indicators read that Lianxin does not own, imported as feeds, and the evidence and
targets people enter for the indicators.

Every feed row belongs to one ``FeedImport``: who imported which file when, the period it covers
and how many rows it brought, so that a figure can say which imports fed it. A later import of the
same kind, period and institutions replaces the earlier one explicitly (the earlier one is marked
superseded and its rows removed); overlapping imports are otherwise refused, so a figure never
counts a month twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import BaseModel


class FeedKind(models.TextChoices):
    ENCOUNTERS = "encounters", _("Outpatient and inpatient encounters")
    SETTLEMENTS = "settlements", _("Medical insurance settlements")
    POPULATION = "population", _("Resident population")
    STAFF_INCOME = "staff_income", _("Staff income")
    DEATHS = "deaths", _("Deaths by cause")


class FeedFormat(models.TextChoices):
    TABLE = "table", _("CSV or Excel")
    FHIR = "fhir", _("FHIR bundle")


class FeedImportQuerySet(models.QuerySet):
    def current(self) -> FeedImportQuerySet:
        return self.filter(superseded_at__isnull=True)


class FeedImport(BaseModel):
    """One file of a feed, imported whole or not at all."""

    kind = models.CharField(_("kind"), max_length=20, choices=FeedKind.choices)
    format = models.CharField(
        _("format"), max_length=10, choices=FeedFormat.choices, default=FeedFormat.TABLE
    )
    community = models.ForeignKey(
        "network.Community",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="feed_imports",
    )
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    period_start = models.DateField(_("first day covered"))
    period_end = models.DateField(_("last day covered"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    total_count = models.PositiveBigIntegerField(
        _("records counted"), default=0, help_text=_("e.g. encounters: a row may stand for many")
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = FeedImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("feed import")
        verbose_name_plural = _("feed imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="feed_import_period_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}–{self.period_end} ({self.filename})"


class EncounterKind(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient or emergency visit")
    INPATIENT = "inpatient", _("Inpatient admission")


class EncounterRecord(models.Model):
    """Encounters at an institution of the county on one day: one encounter, or a count of them
    when the sender reports totals (``count``). 诊疗人次 counts outpatient and emergency visits."""

    feed = models.ForeignKey(
        FeedImport, verbose_name=_("feed import"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "network.Institution", verbose_name=_("institution"), on_delete=models.PROTECT
    )
    on = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=12, choices=EncounterKind.choices)
    is_tcm = models.BooleanField(_("TCM service (中医类)"), default=False)
    count = models.PositiveIntegerField(_("count"), default=1)

    class Meta:
        verbose_name = _("encounter record")
        verbose_name_plural = _("encounter records")
        indexes = [models.Index(fields=["on", "institution"], name="encounter_day_inst_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count__gte=1), name="encounter_record_counts_at_least_one"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.on} {self.kind} ×{self.count}"


class SettlementPlace(models.TextChoices):
    IN_COUNTY = "in_county", _("Institution in the county")
    OUT_OF_COUNTY = "out_of_county", _("Institution outside the county")
    PHARMACY = "pharmacy", _("Retail pharmacy")


class SettlementRecord(models.Model):
    """Medical-insurance settlements of the county's insured residents on one day at one place:
    an institution of the county, a named place outside it, or a pharmacy (excluded from the
    fund-share indicators). Amounts in yuan."""

    feed = models.ForeignKey(
        FeedImport, verbose_name=_("feed import"), on_delete=models.CASCADE, related_name="+"
    )
    on = models.DateField(_("day"))
    place = models.CharField(_("place"), max_length=16, choices=SettlementPlace.choices)
    institution = models.ForeignKey(
        "network.Institution",
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    place_name = models.CharField(_("place outside the county"), max_length=120, blank=True)
    is_inpatient = models.BooleanField(_("inpatient"), default=False)
    cases = models.PositiveIntegerField(_("settlements (人次)"), default=1)
    total_cost = models.DecimalField(_("total cost (yuan)"), max_digits=14, decimal_places=2)
    fund_paid = models.DecimalField(_("paid by the fund (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("settlement record")
        verbose_name_plural = _("settlement records")
        indexes = [models.Index(fields=["on", "place"], name="settlement_day_place_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_cost__gte=0, fund_paid__gte=0, cases__gte=1),
                name="settlement_record_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(place="in_county", institution__isnull=False)
                | ~models.Q(place="in_county"),
                name="settlement_in_county_names_its_institution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.on} {self.place} ×{self.cases}"


class AgeBand(models.TextChoices):
    ALL = "all", _("All ages")
    A30 = "30-34", "30–34"
    A35 = "35-39", "35–39"
    A40 = "40-44", "40–44"
    A45 = "45-49", "45–49"
    A50 = "50-54", "50–54"
    A55 = "55-59", "55–59"
    A60 = "60-64", "60–64"
    A65 = "65-69", "65–69"


class PopulationRecord(models.Model):
    """Resident population (常住人口) of an administrative division in a year, in total or in one
    age band (the bands the premature-mortality indicator needs)."""

    feed = models.ForeignKey(
        FeedImport, verbose_name=_("feed import"), on_delete=models.CASCADE, related_name="+"
    )
    division_code = models.CharField(_("division code"), max_length=12)
    year = models.PositiveSmallIntegerField(_("year"))
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices)
    population = models.PositiveIntegerField(_("population"))

    class Meta:
        verbose_name = _("population record")
        verbose_name_plural = _("population records")

    def __str__(self) -> str:
        return f"{self.division_code} {self.year} {self.age_band}: {self.population}"


class StaffIncomeRecord(models.Model):
    """Staff and their total income at an institution in a year (人均收入 = income ÷ staff)."""

    feed = models.ForeignKey(
        FeedImport, verbose_name=_("feed import"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "network.Institution", verbose_name=_("institution"), on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    staff = models.PositiveIntegerField(_("staff"))
    total_income = models.DecimalField(_("total income (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("staff income record")
        verbose_name_plural = _("staff income records")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff__gte=1, total_income__gte=0),
                name="staff_income_has_staff_and_no_negative_income",
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.year}: {self.staff}"


class DeathCause(models.TextChoices):
    CARDIOVASCULAR = "cardiovascular", _("Cardiovascular and cerebrovascular disease")
    CANCER = "cancer", _("Cancer")
    RESPIRATORY = "respiratory", _("Chronic respiratory disease")
    DIABETES = "diabetes", _("Diabetes")
    OTHER = "other", _("Other causes")


class DeathRecord(models.Model):
    """Deaths of residents of a division in a year by cause and age band (cause-of-death
    surveillance, 死因监测)."""

    feed = models.ForeignKey(
        FeedImport, verbose_name=_("feed import"), on_delete=models.CASCADE, related_name="+"
    )
    division_code = models.CharField(_("division code"), max_length=12)
    year = models.PositiveSmallIntegerField(_("year"))
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices)
    cause = models.CharField(_("cause"), max_length=16, choices=DeathCause.choices)
    deaths = models.PositiveIntegerField(_("deaths"))

    class Meta:
        verbose_name = _("death record")
        verbose_name_plural = _("death records")

    def __str__(self) -> str:
        return f"{self.division_code} {self.year} {self.age_band} {self.cause}: {self.deaths}"


class Judgement(models.TextChoices):
    PENDING = "pending", _("Not judged yet")
    MET = "met", _("Met")
    PARTLY = "partly", _("Partly met")
    NOT_MET = "not_met", _("Not met")


class Evidence(BaseModel):
    """A document supporting a qualitative indicator (a policy file, minutes, photos of the
    arrangement), and the judgement made on it."""

    community = models.ForeignKey(
        "network.Community", verbose_name=_("community"), on_delete=models.PROTECT
    )
    edition = models.CharField(_("edition"), max_length=10)
    indicator = models.CharField(_("indicator"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what it shows"), blank=True)
    document = models.FileField(_("document"), upload_to="indicators/evidence/%Y/", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    judgement = models.CharField(
        _("judgement"), max_length=10, choices=Judgement.choices, default=Judgement.PENDING
    )
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("judged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    judged_at = models.DateTimeField(_("judged at"), null=True, blank=True)
    judgement_note = models.CharField(_("reason for the judgement"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-year", "indicator", "-created_at"]


class Target(BaseModel):
    """The value a community aims at for an indicator in a year, with where the target comes from
    (a provincial plan, the county's own goal)."""

    community = models.ForeignKey(
        "network.Community", verbose_name=_("community"), on_delete=models.PROTECT
    )
    edition = models.CharField(_("edition"), max_length=10)
    indicator = models.CharField(_("indicator"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=4)
    source = models.CharField(_("source of the target"), max_length=200)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "edition", "indicator", "year"],
                name="one_target_per_community_indicator_year",
            )
        ]
