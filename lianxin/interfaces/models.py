"""The imaging index kept by Lianxin's DICOM service: studies, series and instances received
over C-STORE, the file of each instance in Django's storage, and the link of a study to its exam
order (or its place in the reconciliation queue until a user attaches it).

A study is seen by whoever may see its exam order, its patient (as on the patient page), or,
while it is unlinked, the clinical staff of the institution whose AE sent it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.diagnostics.models import ExamOrder
from lianxin.network.models import ApplicationEntity, Institution
from lianxin.patients.models import Patient


class LinkStatus(models.TextChoices):
    ACCESSION = "accession", _("Linked by accession number")
    MATCHED = "matched", _("Matched by patient, date and modality")
    ATTACHED = "attached", _("Attached by a user")
    UNMATCHED = "unmatched", _("Waiting for reconciliation")


class StudyQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> StudyQuerySet:
        ids = access.clinical_institution_ids
        if not ids:
            return self.none()
        return self.filter(
            Q(order__in=ExamOrder.objects.scope(access).values("pk"))
            | Q(patient__in=Patient.objects.scope(access).values("pk"))
            | Q(order__isnull=True, patient__isnull=True, source_institution_id__in=ids)
        )


class Study(BaseModel):
    """A DICOM study as received: its UIDs and the patient and order it belongs to."""

    study_uid = models.CharField(_("study instance UID"), max_length=64, unique=True)
    order = models.ForeignKey(
        ExamOrder,
        verbose_name=_("exam order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="studies",
    )
    patient = models.ForeignKey(
        Patient,
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="imaging_studies",
    )
    link_status = models.CharField(
        _("link"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.UNMATCHED
    )
    source_institution = models.ForeignKey(
        Institution,
        verbose_name=_("sent by institution"),
        on_delete=models.PROTECT,
        related_name="imaging_studies_sent",
    )
    source_ae = models.ForeignKey(
        ApplicationEntity,
        verbose_name=_("sent by AE"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="studies_sent",
    )
    accession_number = models.CharField(_("accession number"), max_length=16, blank=True)
    dicom_patient_id = models.CharField(_("patient ID in the images"), max_length=64, blank=True)
    dicom_patient_name = models.CharField(
        _("patient name in the images"), max_length=200, blank=True
    )
    patient_birth_date = models.CharField(_("birth date in the images"), max_length=8, blank=True)
    patient_sex = models.CharField(_("sex in the images"), max_length=16, blank=True)
    study_date = models.DateField(_("study date"), null=True, blank=True)
    study_time = models.CharField(_("study time"), max_length=16, blank=True)
    study_id = models.CharField(_("study ID"), max_length=16, blank=True)
    description = models.CharField(_("description"), max_length=64, blank=True)
    modalities = models.CharField(_("modalities"), max_length=64, blank=True)
    series_count = models.PositiveIntegerField(_("series"), default=0)
    instance_count = models.PositiveIntegerField(_("instances"), default=0)
    received_at = models.DateTimeField(_("first received at"), auto_now_add=True)

    objects = StudyQuerySet.as_manager()

    class Meta:
        verbose_name = _("imaging study")
        verbose_name_plural = _("imaging studies")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["link_status", "source_institution"], name="study_queue_idx"),
            models.Index(fields=["patient", "study_date"], name="study_patient_idx"),
            models.Index(fields=["accession_number"], name="study_accession_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.accession_number or self.study_uid} ({self.modalities})"


class Series(models.Model):
    """One series of a study."""

    study = models.ForeignKey(
        Study, verbose_name=_("study"), on_delete=models.CASCADE, related_name="series"
    )
    series_uid = models.CharField(_("series instance UID"), max_length=64, unique=True)
    modality = models.CharField(_("modality"), max_length=16, blank=True)
    series_number = models.IntegerField(_("series number"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=64, blank=True)
    body_part = models.CharField(_("body part"), max_length=16, blank=True)
    instance_count = models.PositiveIntegerField(_("instances"), default=0)

    class Meta:
        verbose_name = _("imaging series")
        verbose_name_plural = _("imaging series")
        ordering = ["study_id", "series_number", "id"]

    def __str__(self) -> str:
        return f"{self.modality} {self.series_number} {self.description}"


class Instance(models.Model):
    """One stored SOP instance (an image, a multi-frame image or an ECG waveform) and its file."""

    series = models.ForeignKey(
        Series, verbose_name=_("series"), on_delete=models.CASCADE, related_name="instances"
    )
    sop_instance_uid = models.CharField(_("SOP instance UID"), max_length=64, unique=True)
    sop_class_uid = models.CharField(_("SOP class UID"), max_length=64)
    transfer_syntax_uid = models.CharField(_("transfer syntax UID"), max_length=64)
    instance_number = models.IntegerField(_("instance number"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    columns = models.PositiveIntegerField(_("columns"), null=True, blank=True)
    frames = models.PositiveIntegerField(_("frames"), default=1)
    # dicom/<study UID>/<series UID>/<SOP instance UID>.dcm: three UIDs of up to 64 characters.
    file = models.FileField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    source_ae_title = models.CharField(_("sent by AE title"), max_length=16, blank=True)
    archive_id = models.CharField(_("archive ID"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored instance")
        verbose_name_plural = _("stored instances")
        ordering = ["series_id", "instance_number", "id"]

    def __str__(self) -> str:
        return self.sop_instance_uid


# HL7 v2: laboratory systems, analyte code mapping, the message log (their own module).
from lianxin.interfaces.hl7.models import (  # noqa: E402, F401
    AnalyteMapping,
    Direction,
    Hl7Message,
    Hl7Peer,
    OrderMessage,
    Outcome,
)
