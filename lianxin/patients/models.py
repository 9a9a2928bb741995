"""The master patient index: one patient per person, with each institution's own identifiers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.audit import mask_id_number
from lianxin.core.models import BaseModel
from lianxin.network.models import Institution


class Sex(models.TextChoices):
    """GB/T 2261.1-2003 codes for human sex."""

    UNKNOWN = "0", _("Unknown")
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")
    UNSPECIFIED = "9", _("Unspecified")


class PatientQuerySet(ScopedQuerySet):
    """A patient is visible to a user whose institution registered the patient, holds an active
    care relationship (a referral, consultation or order grants one), or who broke the glass."""

    def scope(self, access: Access) -> PatientQuerySet:
        clinical = access.clinical_institution_ids
        if not clinical:
            return self.none()
        now = timezone.now()
        registered = PatientIdentifier.objects.filter(
            patient=OuterRef("pk"), institution_id__in=clinical
        )
        cared = CareRelationship.objects.filter(
            patient=OuterRef("pk"), institution_id__in=clinical, starts_at__lte=now
        ).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        glass = BreakGlassAccess.objects.filter(
            patient=OuterRef("pk"), user_id=access.user_id, expires_at__gt=now
        )
        return self.filter(Exists(registered) | Exists(cared) | Exists(glass))


class Patient(BaseModel):
    """A person known to the network (居民). The resident ID number identifies them uniquely."""

    name = models.CharField(_("name"), max_length=40)
    name_initials = models.CharField(
        _("pinyin initials"), max_length=20, db_index=True, editable=False
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = models.CharField(
        _("resident ID number"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        help_text=_("居民身份证号, GB 11643-1999."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    division_code = models.CharField(_("residence division code"), max_length=12, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    deceased_on = models.DateField(_("deceased on"), null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"], name="patient_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def age_on(self, day=None) -> int:
        day = day or timezone.localdate()
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class IdentifierKind(models.TextChoices):
    MRN = "mrn", _("Medical record number")
    HEALTH_CARD = "health_card", _("Resident health card")
    INSURANCE = "insurance", _("Medical insurance number")


class PatientIdentifier(models.Model):
    """An institution's own identifier for a patient; registering creates one."""

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="identifiers"
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="patient_identifiers",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=IdentifierKind.choices, default=IdentifierKind.MRN
    )
    value = models.CharField(_("value"), max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("patient identifier")
        verbose_name_plural = _("patient identifiers")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "kind", "value"], name="identifier_unique_in_institution"
            ),
            models.UniqueConstraint(
                fields=["patient", "institution", "kind"],
                name="identifier_one_per_patient_institution_kind",
            ),
        ]
        indexes = [models.Index(fields=["institution", "patient"], name="identifier_scope_idx")]

    def __str__(self) -> str:
        return f"{self.institution_id}:{self.value}"


class CareRelationship(models.Model):
    """A time-bound right of an institution to see a patient it did not register.

    Referrals, consultations and exam orders create these for the receiving side, so that the
    county specialist sees the referred patient for as long as the referral needs.
    """

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="care_relations"
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="care_relations",
    )
    reason = models.CharField(_("reason"), max_length=200)
    source_type = models.CharField(_("source type"), max_length=80, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    starts_at = models.DateTimeField(_("starts at"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)

    class Meta:
        verbose_name = _("care relationship")
        verbose_name_plural = _("care relationships")
        indexes = [models.Index(fields=["institution", "patient"], name="care_scope_idx")]

    def __str__(self) -> str:
        return f"{self.institution_id} → {self.patient_id}: {self.reason}"


class BreakGlassAccess(models.Model):
    """Emergency access by one user to one patient outside their scope, with a reason; audited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="break_glass",
    )
    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="break_glass"
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("acting for"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("break-glass access")
        verbose_name_plural = _("break-glass accesses")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.patient_id}"
