"""Road networks with their precomputed travel times, and green-channel cases."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.emergency.rules import CONDITIONS
from lianxin.network.models import Community, Institution


class TableStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be built")
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class RoadNetworkQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> RoadNetworkQuerySet:
        condition = models.Q(community_id__in=access.community_ids)
        for prefix in access.commission_prefixes:
            condition |= models.Q(community__division_code__startswith=prefix)
        return self.filter(condition)


class RoadNetwork(BaseModel):
    """A community's road network, imported from an OpenStreetMap extract, and the travel-time
    table built from it (``routing.TravelTable``: minutes from every node to every site).

    ``table_version`` rises with every rebuild; processes keep the table they loaded until they
    see a newer version. A change of the network or of a site's position marks the table stale
    (``status`` pending) and enqueues the rebuild.
    """

    community = models.OneToOneField(
        Community,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="road_network",
    )
    source_name = models.CharField(_("source file"), max_length=200)
    licence = models.CharField(_("licence"), max_length=300, blank=True)
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    nodes = models.PositiveIntegerField(_("nodes"), default=0)
    edges = models.PositiveIntegerField(_("road segments"), default=0)
    oneway_segments = models.PositiveIntegerField(_("one-way segments"), default=0)
    south = models.FloatField(_("south"), default=0)
    west = models.FloatField(_("west"), default=0)
    north = models.FloatField(_("north"), default=0)
    east = models.FloatField(_("east"), default=0)
    speed_overrides = models.JSONField(
        _("speed overrides (km/h by road class)"), default=dict, blank=True
    )
    graph_data = models.BinaryField(_("road graph"))
    table_data = models.BinaryField(_("travel-time table"), null=True, blank=True)
    table_version = models.PositiveIntegerField(_("table version"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=TableStatus.choices, default=TableStatus.PENDING
    )
    progress = models.FloatField(
        _("progress"), default=0, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    build_seconds = models.FloatField(_("build time (s)"), null=True, blank=True)
    sites = models.PositiveIntegerField(_("sites"), default=0)
    sites_off_network = models.JSONField(_("sites off the network"), default=list, blank=True)
    site_positions = models.JSONField(
        _("site positions the table was built for"), default=dict, blank=True
    )
    error = models.TextField(_("error"), blank=True)

    objects = RoadNetworkQuerySet.as_manager()

    class Meta:
        verbose_name = _("road network")
        verbose_name_plural = _("road networks")

    def __str__(self) -> str:
        return f"{self.community} · {self.source_name}"


class CaseQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> CaseQuerySet:
        # The desk that opened it, and the destination's clinicians (who receive the patient).
        return self.filter(
            models.Q(desk_institution_id__in=access.institution_ids)
            | models.Q(chosen_id__in=access.clinical_institution_ids)
        )


CONDITION_CHOICES = [(c.code, c.name) for c in CONDITIONS.values()]


class GreenChannelCase(BaseModel):
    """One emergency handled through the desk: where it was, what was advised and chosen and
    why, the timestamps from onset to treatment, and the minutes saved against the default
    destination (the county hospital).

    A case may be opened before anyone knows who the patient is (an unknown patient, 无名氏);
    the patient is attached later through the patients app's lookup.
    """

    desk_institution = models.ForeignKey(
        Institution,
        verbose_name=_("emergency desk of"),
        on_delete=models.PROTECT,
        related_name="emergency_cases",
    )
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emergency_cases",
    )
    patient_description = models.CharField(
        _("patient as described"),
        max_length=120,
        blank=True,
        help_text=_("For a patient not yet identified, e.g. 无名氏，男，约40岁."),
    )
    condition = models.CharField(_("condition"), max_length=30, choices=CONDITION_CHOICES)
    capability = models.CharField(_("treatment needed"), max_length=40)
    village = models.ForeignKey(
        Institution,
        verbose_name=_("village"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    is_estimate = models.BooleanField(_("estimated without a road network"), default=False)
    advised = models.ForeignKey(
        Institution,
        verbose_name=_("advised destination"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    advised_minutes = models.FloatField(_("advised: minutes to treatment"), null=True)
    default_destination = models.ForeignKey(
        Institution,
        verbose_name=_("default destination"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    default_minutes = models.FloatField(_("default: minutes to treatment"), null=True)
    chosen = models.ForeignKey(
        Institution,
        verbose_name=_("chosen destination"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chosen_minutes = models.FloatField(_("chosen: minutes to treatment"), null=True)
    choice_reason = models.TextField(_("why this destination"), blank=True)
    credited_practitioner = models.ForeignKey(
        "workforce.Practitioner",
        verbose_name=_("stationed expert who made it possible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    credited_posting = models.ForeignKey(
        "outreach.Posting",
        verbose_name=_("posting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    advice = models.JSONField(_("advice as given"), default=dict)
    onset_at = models.DateTimeField(_("onset"), null=True, blank=True)
    call_at = models.DateTimeField(_("call (first medical contact)"))
    departure_at = models.DateTimeField(_("departure"), null=True, blank=True)
    arrival_at = models.DateTimeField(_("arrival"), null=True, blank=True)
    treatment_at = models.DateTimeField(_("treatment start"), null=True, blank=True)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("green-channel referral"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    minutes_saved = models.FloatField(_("minutes saved"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("green-channel case")
        verbose_name_plural = _("green-channel cases")
        ordering = ["-call_at"]
        indexes = [models.Index(fields=["call_at"], name="emergency_case_call_idx")]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} · {self.call_at:%Y-%m-%d %H:%M}"

    @property
    def actual_minutes(self) -> float | None:
        """Call to treatment start, once both are recorded."""
        if self.treatment_at and self.call_at:
            return (self.treatment_at - self.call_at).total_seconds() / 60
        return None
