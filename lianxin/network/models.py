"""The network registry: communities, institutions, departments, agreements, capabilities and
equipment."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel

division_code_validator = RegexValidator(
    r"^\d{6}(\d{3}){0,2}$",
    _("An administrative division code has 6, 9 or 12 digits (GB/T 2260, 统计用区划代码)."),
)


class Tier(models.TextChoices):
    TERTIARY = "tertiary", _("Tertiary hospital")
    COUNTY_HOSPITAL = "county_hospital", _("County hospital")
    COUNTY_TCM = "county_tcm", _("County TCM hospital")
    COUNTY_MCH = "county_mch", _("County maternal and child hospital")
    TOWNSHIP = "township", _("Township health centre")
    COMMUNITY_CENTRE = "community_centre", _("Community health centre")
    VILLAGE = "village", _("Village clinic")
    COMMISSION = "commission", _("Health commission")


PRIMARY_TIERS = frozenset({Tier.TOWNSHIP, Tier.COMMUNITY_CENTRE, Tier.VILLAGE})
SECONDARY_OR_HIGHER_TIERS = frozenset(
    {Tier.TERTIARY, Tier.COUNTY_HOSPITAL, Tier.COUNTY_TCM, Tier.COUNTY_MCH}
)


class RegistryQuerySet(ScopedQuerySet):
    """Registry rows are seen inside the user's communities (or a commission's division)."""

    institution_path = "institution"

    def scope(self, access: Access) -> RegistryQuerySet:
        lookup = "id" if self.institution_path == "" else f"{self.institution_path}_id"
        return self.filter(**{f"{lookup}__in": access.registry_institution_ids})


class InstitutionQuerySet(RegistryQuerySet):
    institution_path = ""


class Institution(BaseModel):
    """A medical institution (or the health commission) that users act for and rows belong to."""

    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    code = models.CharField(
        _("institution code"),
        max_length=32,
        unique=True,
        help_text=_("Registration code of the medical institution licence (医疗机构登记号)."),
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, db_index=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True, help_text=_("e.g. 三级甲等"))
    division_code = models.CharField(
        _("administrative division code"),
        max_length=12,
        validators=[division_code_validator],
        db_index=True,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    beds = models.PositiveIntegerField(_("beds"), default=0)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("supervising institution"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text=_("For a village clinic, the township centre that manages it (乡村一体化)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["division_code", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_primary(self) -> bool:
        return self.tier in PRIMARY_TIERS


class CommunityKind(models.TextChoices):
    COUNTY = "county", _("County medical community (医共体)")
    ALLIANCE = "alliance", _("Medical alliance (医联体)")


class CommunityQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> CommunityQuerySet:
        condition = models.Q(id__in=access.community_ids)
        for prefix in access.commission_prefixes:
            condition |= models.Q(division_code__startswith=prefix)
        return self.filter(condition)


class Community(BaseModel):
    """A 医共体 or 医联体. An alliance may contain county communities and single hospitals."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CommunityKind.choices)
    lead = models.ForeignKey(
        Institution,
        verbose_name=_("lead institution"),
        on_delete=models.PROTECT,
        related_name="led_communities",
    )
    division_code = models.CharField(
        _("administrative division code"), max_length=12, validators=[division_code_validator]
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class CommunityMember(models.Model):
    """A member of a community: an institution, or (in an alliance) a whole county community."""

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="members"
    )
    member_institution = models.ForeignKey(
        Institution,
        verbose_name=_("member institution"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="community_memberships",
    )
    member_community = models.ForeignKey(
        Community,
        verbose_name=_("member community"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="parent_memberships",
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)

    class Meta:
        verbose_name = _("community member")
        verbose_name_plural = _("community members")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(member_institution__isnull=False, member_community__isnull=True)
                    | models.Q(member_institution__isnull=True, member_community__isnull=False)
                ),
                name="community_member_is_institution_xor_community",
            ),
            models.UniqueConstraint(
                fields=["community", "member_institution"],
                name="community_member_institution_once",
            ),
            models.UniqueConstraint(
                fields=["community", "member_community"], name="community_member_community_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(member_community=models.F("community")),
                name="community_not_member_of_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} ∋ {self.member_institution or self.member_community}"


class DepartmentKind(models.TextChoices):
    CLINICAL = "clinical", _("Clinical")
    MEDTECH = "medtech", _("Medical technology")
    SHARED_CENTRE = "shared_centre", _("Shared centre")
    ADMIN = "admin", _("Administration")


class CentreType(models.TextChoices):
    IMAGING = "imaging", _("Imaging centre")
    ECG = "ecg", _("ECG centre")
    LABORATORY = "laboratory", _("Laboratory centre")
    PATHOLOGY = "pathology", _("Pathology centre")
    STERILE = "sterile", _("Sterile supply centre")


class Department(BaseModel):
    """A department of an institution; a shared centre is a department with a centre type."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="departments",
    )
    name = models.CharField(_("name"), max_length=80)
    code = models.CharField(_("code"), max_length=20)
    kind = models.CharField(
        _("kind"), max_length=20, choices=DepartmentKind.choices, default=DepartmentKind.CLINICAL
    )
    centre_type = models.CharField(
        _("centre type"), max_length=20, choices=CentreType.choices, blank=True
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["institution_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "code"], name="department_code_unique_in_institution"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="shared_centre", centre_type__gt="")
                | (~models.Q(kind="shared_centre") & models.Q(centre_type="")),
                name="department_centre_type_only_for_shared_centres",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution.short_name or self.institution.name} · {self.name}"


class AgreementKind(models.TextChoices):
    TIGHT = "tight", _("Tight (紧密型)")
    LOOSE = "loose", _("Loose (松散型)")


class AgreementQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> AgreementQuerySet:
        ids = access.registry_institution_ids
        return self.filter(party_a_id__in=ids, party_b_id__in=ids)


class Agreement(BaseModel):
    """A signed cooperation agreement between two institutions."""

    party_a = models.ForeignKey(
        Institution,
        verbose_name=_("lead party"),
        on_delete=models.PROTECT,
        related_name="agreements_as_a",
    )
    party_b = models.ForeignKey(
        Institution,
        verbose_name=_("member party"),
        on_delete=models.PROTECT,
        related_name="agreements_as_b",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agreements",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices)
    scope = models.TextField(_("scope"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    document = models.FileField(_("signed document"), upload_to="agreements/", blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(party_a=models.F("party_b")),
                name="agreement_between_two_institutions",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="agreement_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party_a} — {self.party_b} ({self.get_kind_display()})"


class CapabilityKind(models.TextChoices):
    FACILITY = "facility", _("Facility or equipment")
    PROCEDURE = "procedure", _("Procedure")


class Capability(models.Model):
    """An entry of the capability catalogue (``network.rules.CAPABILITIES``).

    A facility capability (CT, ICU, PCI lab) is provided by equipment in use; a procedure (PCI,
    thrombolysis, caesarean section) is performed by credentialed practitioners and may need
    facilities (``requires``).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=CapabilityKind.choices)
    category = models.CharField(_("category"), max_length=40, blank=True)
    requires = models.ManyToManyField(
        "self",
        verbose_name=_("requires"),
        symmetrical=False,
        blank=True,
        related_name="required_by",
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class EquipmentStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    IDLE = "idle", _("Idle")
    BROKEN = "broken", _("Broken")


class Equipment(BaseModel):
    """A piece of equipment at an institution; in use, it provides its facility capability.

    ``status`` is the status now; ``status_changes`` is its history, which answers for a past
    moment. Both change only through ``network.actions`` (registration and
    ``do_change_equipment_status``), which write them together.
    """

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="equipment",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="equipment",
    )
    capability = models.ForeignKey(
        Capability,
        verbose_name=_("provides"),
        on_delete=models.PROTECT,
        limit_choices_to={"kind": CapabilityKind.FACILITY},
        related_name="equipment",
    )
    name = models.CharField(_("name"), max_length=120)
    model_name = models.CharField(_("model"), max_length=120, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EquipmentStatus.choices, default=EquipmentStatus.IN_USE
    )
    installed_on = models.DateField(_("installed on"), null=True, blank=True)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["institution_id", "capability_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class EquipmentHistoryQuerySet(RegistryQuerySet):
    institution_path = "equipment__institution"


class EquipmentStatusChange(models.Model):
    """One entry of a piece of equipment's status history, append-only: from ``changed_at`` on,
    its status was ``status`` (until the next entry).

    The first entry is written at registration, dated the installation day when one is given
    (the status is taken to hold since then); each later one by ``do_change_equipment_status``
    in the transaction that writes the audit row.
    """

    equipment = models.ForeignKey(
        Equipment,
        verbose_name=_("equipment"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    status = models.CharField(_("status"), max_length=10, choices=EquipmentStatus.choices)
    changed_at = models.DateTimeField(_("from"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = EquipmentHistoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("equipment status change")
        verbose_name_plural = _("equipment status history")
        ordering = ["equipment_id", "changed_at", "pk"]
        indexes = [
            models.Index(fields=["equipment", "changed_at"], name="equipment_status_at_idx"),
        ]

    def __str__(self) -> str:
        changed = timezone.localtime(self.changed_at)
        return f"{self.equipment_id}: {self.status} @ {changed:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("equipment status history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("equipment status history is append-only")


class AERole(models.TextChoices):
    MODALITY = "modality", _("Modality (sends images, asks for the worklist)")
    WORKSTATION = "workstation", _("Reading workstation (queries and retrieves)")
    ARCHIVE = "archive", _("Archive")


class ApplicationEntity(BaseModel):
    """A DICOM application entity of an institution: a modality, a reading workstation or an
    archive, known by its AE title. Lianxin's DICOM service accepts associations only from the
    AE titles registered here (and active); the institution of the AE decides what it may see,
    as a member of that institution would. Host and port are where Lianxin sends C-MOVE results.
    Written only through ``network.ae`` actions, each with its audit row."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="application_entities",
    )
    equipment = models.ForeignKey(
        Equipment,
        verbose_name=_("equipment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="application_entities",
    )
    ae_title = models.CharField(
        _("AE title"), max_length=16, unique=True, help_text=_("Up to 16 letters, digits, _ or -.")
    )
    role = models.CharField(_("role"), max_length=12, choices=AERole.choices)
    modality = models.CharField(
        _("modality"), max_length=8, blank=True, help_text=_("DICOM modality code: CT, MR, DX, US…")
    )
    station_name = models.CharField(_("station name"), max_length=16, blank=True)
    host = models.CharField(_("host"), max_length=100, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("DICOM application entity")
        verbose_name_plural = _("DICOM application entities")
        ordering = ["institution_id", "ae_title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(port__isnull=True) | Q(port__gte=1, port__lte=65535),
                name="ae_port_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.ae_title
