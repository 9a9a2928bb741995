"""An ECG recording of an exam order: the file as it came, its signal, the machine's
measurements and flags, and the reader's decision on a proposed critical result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.network.models import Institution


class EcgSource(models.TextChoices):
    DICOM_UPLOAD = "dicom", _("DICOM waveform (uploaded)")
    WFDB_UPLOAD = "wfdb", _("WFDB record (uploaded)")
    C_STORE = "c-store", _("DICOM waveform (sent by the ECG cart)")


class Proposal(models.TextChoices):
    NONE = "", _("Nothing flagged")
    PROPOSED = "proposed", _("Proposed, waiting for the reader")
    CONFIRMED = "confirmed", _("Confirmed by the reader")
    DISMISSED = "dismissed", _("Dismissed by the reader")


class EcgRecordingQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> EcgRecordingQuerySet:
        from lianxin.diagnostics.models import ExamOrder

        return self.filter(order__in=ExamOrder.objects.scope(access))


class EcgRecording(BaseModel):
    """A 12-lead ECG of an exam order, with the measurements neurokit2 made. Flags propose a
    critical result; the machine never reports one by itself."""

    order = models.ForeignKey(
        "diagnostics.ExamOrder",
        verbose_name=_("exam order"),
        on_delete=models.PROTECT,
        related_name="ecg_recordings",
    )
    source = models.CharField(_("source"), max_length=10, choices=EcgSource.choices)
    site = models.ForeignKey(
        Institution,
        verbose_name=_("recorded at"),
        on_delete=models.PROTECT,
        related_name="ecg_recordings",
    )
    original = models.FileField(_("file as received"), upload_to="ecg/original/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=120, blank=True)
    signal = models.FileField(_("signal (mV)"), upload_to="ecg/signal/%Y/%m/")
    sampling_rate = models.FloatField(_("sampling rate (Hz)"))
    duration_s = models.FloatField(_("duration (s)"))
    recorded_at = models.DateTimeField(_("recorded at (time)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    heart_rate = models.FloatField(_("heart rate (bpm)"), null=True, blank=True)
    rr_cv = models.FloatField(_("RR variation coefficient"), null=True, blank=True)
    pr_ms = models.FloatField(_("PR (ms)"), null=True, blank=True)
    qrs_ms = models.FloatField(_("QRS (ms)"), null=True, blank=True)
    qt_ms = models.FloatField(_("QT (ms)"), null=True, blank=True)
    qtc_bazett_ms = models.FloatField(_("QTc Bazett (ms)"), null=True, blank=True)
    qtc_fridericia_ms = models.FloatField(_("QTc Fridericia (ms)"), null=True, blank=True)
    st_mv = models.JSONField(_("ST deviation per lead (mV)"), default=dict)
    flags = models.JSONField(_("flags"), default=list)
    algorithm = models.CharField(_("algorithm"), max_length=60, blank=True)
    proposal = models.CharField(
        _("proposed critical result"),
        max_length=10,
        choices=Proposal.choices,
        blank=True,
        default="",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = EcgRecordingQuerySet.as_manager()

    class Meta:
        verbose_name = _("ECG recording")
        verbose_name_plural = _("ECG recordings")
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["site", "recorded_at"], name="ecg_site_recorded_idx")]

    def __str__(self) -> str:
        return f"ECG {self.order_id} {self.recorded_at:%Y-%m-%d %H:%M}"
