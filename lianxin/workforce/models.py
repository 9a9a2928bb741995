"""People: practitioners with their titles, specialties and credentials; users' memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.core.permissions import Role
from lianxin.network.models import Capability, Department, Institution


class Title(models.TextChoices):
    """Professional titles (职称) of the health professional title series."""

    CHIEF = "chief", _("Chief physician (主任医师)")
    ASSOCIATE_CHIEF = "associate_chief", _("Associate chief physician (副主任医师)")
    ATTENDING = "attending", _("Attending physician (主治医师)")
    RESIDENT = "resident", _("Resident physician (住院医师)")
    ASSISTANT = "assistant", _("Assistant physician (执业助理医师)")
    VILLAGE_DOCTOR = "village_doctor", _("Village doctor (乡村医生)")
    CHIEF_NURSE = "chief_nurse", _("Chief nurse (主任护师)")
    ASSOCIATE_CHIEF_NURSE = "associate_chief_nurse", _("Associate chief nurse (副主任护师)")
    SUPERVISOR_NURSE = "supervisor_nurse", _("Supervisor nurse (主管护师)")
    NURSE = "nurse", _("Nurse (护师)")
    TECHNICIAN_IN_CHARGE = "technician_in_charge", _("Technician in charge (主管技师)")
    TECHNICIAN = "technician", _("Technician (技师)")


# 中级及以上: the indicators count attending-or-above physicians (DESIGN §7).
ATTENDING_OR_ABOVE = frozenset({Title.CHIEF, Title.ASSOCIATE_CHIEF, Title.ATTENDING})
SENIOR_TITLES = frozenset({Title.CHIEF, Title.ASSOCIATE_CHIEF})


class PractitionerSex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Profession(models.TextChoices):
    PHYSICIAN = "physician", _("Physician")
    NURSE = "nurse", _("Nurse")
    TECHNICIAN = "technician", _("Medical technician")
    PHARMACIST = "pharmacist", _("Pharmacist")
    MANAGER = "manager", _("Manager")


class Specialty(models.Model):
    """A clinical specialty, from the catalogue of diagnosis and treatment subjects (诊疗科目)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PractitionerQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> PractitionerQuerySet:
        return self.filter(institution_id__in=access.registry_institution_ids)


class Practitioner(BaseModel):
    """A health professional employed by an institution (their primary post)."""

    name = models.CharField(_("name"), max_length=40)
    sex = models.CharField(_("sex"), max_length=1, choices=PractitionerSex.choices, blank=True)
    profession = models.CharField(
        _("profession"), max_length=20, choices=Profession.choices, default=Profession.PHYSICIAN
    )
    title = models.CharField(_("title"), max_length=30, choices=Title.choices)
    licence_number = models.CharField(
        _("licence number"),
        max_length=30,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Practising certificate number (执业证书编码)."),
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="practitioners",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practitioners",
    )
    specialties = models.ManyToManyField(
        Specialty, verbose_name=_("specialties"), blank=True, related_name="practitioners"
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practitioner",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = PractitionerQuerySet.as_manager()

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        ordering = ["institution_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_title_display()})"

    @property
    def is_attending_or_above(self) -> bool:
        return self.title in ATTENDING_OR_ABOVE


class Credential(models.Model):
    """A procedure a practitioner is credentialed to perform (手术/技术授权)."""

    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("practitioner"),
        on_delete=models.CASCADE,
        related_name="credentials",
    )
    capability = models.ForeignKey(
        Capability,
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        limit_choices_to={"kind": "procedure"},
        related_name="credentials",
    )
    granted_on = models.DateField(_("granted on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    granted_by = models.ForeignKey(
        Institution,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credentials_granted",
    )

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "capability"], name="credential_once_per_procedure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} · {self.capability}"


class Membership(models.Model):
    """A user's role at an institution; permissions follow from the role (core.permissions)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institution", "role"], name="membership_role_once_per_institution"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.institution} ({self.get_role_display()})"
