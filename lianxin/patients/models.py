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
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.pinyin import name_sound


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
        registered_at = set(clinical)
        if access.institutions_with(Perm.MANAGE_PATIENT_INDEX):
            # The MPI administrator keeps one index for the whole network: they see the patients
            # registered anywhere in their communities (reads are audited as for everyone).
            registered_at |= access.registry_institution_ids
        registered = PatientIdentifier.objects.filter(
            patient=OuterRef("pk"), institution_id__in=registered_at
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
    name_sound = models.CharField(
        _("name sound key"),
        max_length=40,
        blank=True,
        editable=False,
        help_text=_("Toneless pinyin with similar sounds folded, to find likely duplicates."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    division_code = models.CharField(_("residence division code"), max_length=12, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    deceased_on = models.DateField(_("deceased on"), null=True, blank=True)
    birth_date_estimated = models.BooleanField(
        _("birth date estimated"),
        default=False,
        help_text=_("The birth date was estimated from the apparent age (an unknown patient)."),
    )
    is_unidentified = models.BooleanField(
        _("unidentified"),
        default=False,
        help_text=_("A temporary identity (无名氏) until the person is known."),
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        help_text=_("Set when this record was merged: it stays as a pointer to the survivor."),
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name"], name="patient_name_idx"),
            models.Index(fields=["name_sound"], name="patient_name_sound_idx"),
            models.Index(fields=["birth_date", "sex"], name="patient_birth_sex_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The sound key follows the name wherever a patient is saved (bulk writes set it too).
        self.name_sound = name_sound(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_sound"}
        super().save(*args, **kwargs)

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def survivor(self) -> Patient:
        """The record this one was merged into, following a chain of merges; itself if none."""
        current, seen = self, {self.pk}
        while current.merged_into_id is not None and current.merged_into_id not in seen:
            seen.add(current.merged_into_id)
            current = Patient.objects.get(pk=current.merged_into_id)
        return current

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
        indexes = [
            models.Index(fields=["institution", "patient"], name="identifier_scope_idx"),
            models.Index(fields=["value"], name="identifier_value_idx"),
        ]

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


class ArrivalPlace(models.TextChoices):
    EMERGENCY_DESK = "emergency_desk", _("Emergency desk")
    GREEN_CHANNEL = "green_channel", _("Green channel")
    AMBULANCE = "ambulance", _("Ambulance")
    WARD = "ward", _("Ward")


class UnidentifiedArrival(models.Model):
    """How an unidentified patient (无名氏) arrived: what the desk could see, to find them later.

    Registered in one step at the emergency desk or the green channel; the patient is usable at
    once. When the person is known, the temporary record is merged into the real one and this row
    follows it (``resolved_at`` is set).
    """

    patient = models.OneToOneField(
        Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="arrival"
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    place = models.CharField(
        _("arrival place"),
        max_length=20,
        choices=ArrivalPlace.choices,
        default=ArrivalPlace.EMERGENCY_DESK,
    )
    estimated_age = models.PositiveSmallIntegerField(_("estimated age"))
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Build, clothing, marks, belongings, who brought them, where they were found."),
    )
    photo = models.FileField(_("photo"), upload_to="patients/unidentified/%Y/%m/", blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("identified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("unidentified arrival")
        verbose_name_plural = _("unidentified arrivals")

    def __str__(self) -> str:
        return f"{self.patient_id} @ {self.arrived_at:%Y-%m-%d %H:%M}"


class MergeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    COMPLETED = "completed", _("Merged")
    REJECTED = "rejected", _("Rejected")
    UNDONE = "undone", _("Unmerged")


class _IndexQuerySet(ScopedQuerySet):
    """Rows of the patient index's work: only MPI administrators see them, and only where they
    see the patients."""

    def _visible_patients(self, access: Access):
        if not access.institutions_with(Perm.MANAGE_PATIENT_INDEX):
            return None
        return Patient.objects.all().scope(access)


class PatientMergeQuerySet(_IndexQuerySet):
    def scope(self, access: Access) -> PatientMergeQuerySet:
        visible = self._visible_patients(access)
        if visible is None:
            return self.none()
        return self.filter(Q(target__in=visible) | Q(source__in=visible))


class DuplicateCandidateQuerySet(_IndexQuerySet):
    def scope(self, access: Access) -> DuplicateCandidateQuerySet:
        visible = self._visible_patients(access)
        if visible is None:
            return self.none()
        return self.filter(first__in=visible, second__in=visible)


class PatientMerge(BaseModel):
    """One merge of a duplicate (``source``) into the surviving patient (``target``).

    ``moved`` lists, per model and field, the primary keys of the rows that pointed at the source
    and were moved to the target; ``kept`` those that could not move (the target already held the
    same institution's record number). Unmerge puts back exactly what ``moved`` lists. A merge
    across institutions is proposed by one side and confirmed by the other.
    """

    source = models.ForeignKey(
        Patient, verbose_name=_("merged record"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey(
        Patient, verbose_name=_("surviving record"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=MergeStatus.choices, default=MergeStatus.PROPOSED
    )
    reason = models.TextField(_("reason"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_for = models.ForeignKey(
        Institution, verbose_name=_("proposed for"), on_delete=models.PROTECT, related_name="+"
    )
    confirming_institutions = models.JSONField(
        _("institutions that may confirm"), default=list, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed or rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unmerged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("unmerged at"), null=True, blank=True)
    moved = models.JSONField(_("moved rows"), default=list, blank=True)
    kept = models.JSONField(_("rows left on the merged record"), default=list, blank=True)
    filled = models.JSONField(_("fields filled from the merged record"), default=dict, blank=True)

    objects = PatientMergeQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient merge")
        verbose_name_plural = _("patient merges")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="merge_not_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id} ({self.status})"


class CandidateSource(models.TextChoices):
    BATCH = "batch", _("Batch linkage")
    REGISTRATION = "registration", _("Registration")
    IMPORT = "import", _("Import")


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not the same person")


class DuplicateCandidate(BaseModel):
    """A pair of patients that may be one person, waiting for an MPI administrator.

    ``score`` is the match weight (log2 of the likelihood ratio, Fellegi–Sunter) and
    ``probability`` the match probability; ``evidence`` holds each field's comparison as shown to
    the reviewer. The pair is stored once, lower primary key first.
    """

    first = models.ForeignKey(
        Patient, verbose_name=_("first patient"), on_delete=models.CASCADE, related_name="+"
    )
    second = models.ForeignKey(
        Patient, verbose_name=_("second patient"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(_("match weight"))
    probability = models.FloatField(_("match probability"))
    evidence = models.JSONField(_("evidence"), default=list)
    source = models.CharField(_("found by"), max_length=20, choices=CandidateSource.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = DuplicateCandidateQuerySet.as_manager()

    class Meta:
        verbose_name = _("likely duplicate")
        verbose_name_plural = _("likely duplicates")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="candidate_pair_once"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="candidate_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="candidate_queue_idx")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.score:.1f})"
