"""Shared diagnostic centres: exam catalogue, service agreements, exam orders on the shared
workflow, reports with versions, result values, critical results, recognition and specimens.

An ``ExamOrder`` is a workflow item whose requester side is the ordering member site and whose
performer side is the institution reading it (the centre, or the alliance's tertiary reading pool
after an overflow). A ``CriticalResult`` is a workflow item raised by the reading institution
(performer side) for the ordering site (requester side).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.errors import Conflict
from lianxin.core.models import BaseModel
from lianxin.core.permissions import Perm
from lianxin.core.workflow import (
    DEFAULT_WORKFLOW,
    Side,
    Status,
    Transition,
    TransitionRecord,
    Workflow,
    WorkflowItem,
    WorkflowQuerySet,
)
from lianxin.diagnostics.rules import (
    CRITICAL_ESCALATE_AFTER,
    PERFORM_WITHIN,
    READ_WITHIN,
    SOURCE_RECOGNITION,
    Priority,
    RetestReason,
    Scope,
)
from lianxin.network.models import CentreType, Department, Institution
from lianxin.patients.models import Patient


class ExamItem(models.Model):
    """An item of the exam catalogue (CT chest, blood routine, frozen section …) and the centre
    type that reads it. Synced from ``rules.EXAMS``; prices are editable."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    centre_type = models.CharField(_("centre type"), max_length=20, choices=CentreType.choices)
    modality = models.CharField(_("modality"), max_length=4)
    price = models.DecimalField(_("price (yuan)"), max_digits=9, decimal_places=2)
    is_urgent = models.BooleanField(_("always urgent"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exam item")
        verbose_name_plural = _("exam items")
        ordering = ["centre_type", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RecognitionRule(models.Model):
    """How a result of one exam item is recognised elsewhere: validity window, scope and the
    quality-control conditions, with the rule's source. Editable by administrators."""

    exam = models.OneToOneField(
        ExamItem,
        verbose_name=_("exam item"),
        on_delete=models.CASCADE,
        related_name="recognition_rule",
    )
    validity_days = models.PositiveIntegerField(_("valid for (days)"))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    requires_qc = models.BooleanField(_("requires passed quality control"), default=True)
    conditions = models.CharField(_("conditions"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=200, default=SOURCE_RECOGNITION)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("recognition rule")
        verbose_name_plural = _("recognition rules")
        ordering = ["exam__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_days__gt=0), name="recognition_valid_for_at_least_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exam.code}: {self.validity_days} d, {self.get_scope_display()}"


class ServiceAgreementQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> ServiceAgreementQuerySet:
        ids = access.registry_institution_ids
        return self.filter(site_id__in=ids)

    def in_force(self, day) -> ServiceAgreementQuerySet:
        return self.filter(is_active=True, starts_on__lte=day).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=day)
        )


class ServiceAgreement(BaseModel):
    """A member site sends the exams of one centre type (or one exam item) to a shared centre."""

    site = models.ForeignKey(
        Institution,
        verbose_name=_("member site"),
        on_delete=models.CASCADE,
        related_name="diagnostic_agreements",
    )
    centre = models.ForeignKey(
        Department,
        verbose_name=_("shared centre"),
        on_delete=models.PROTECT,
        related_name="service_agreements",
        limit_choices_to={"kind": "shared_centre"},
    )
    centre_type = models.CharField(_("centre type"), max_length=20, choices=CentreType.choices)
    exam = models.ForeignKey(
        ExamItem,
        verbose_name=_("exam item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: every exam of the centre type."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ServiceAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")
        ordering = ["site_id", "centre_type"]

    def __str__(self) -> str:
        return f"{self.site} → {self.centre} ({self.centre_type})"


class AccessionCounter(models.Model):
    """The last accession sequence number given per prefix and day (locked while counting)."""

    prefix = models.CharField(_("prefix"), max_length=4)
    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("accession counter")
        verbose_name_plural = _("accession counters")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "day"], name="one_accession_counter_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%y%m%d}: {self.last}"


def _perform_within(item: WorkflowItem) -> timedelta:
    return PERFORM_WITHIN[getattr(item, "priority", Priority.ROUTINE)]


def _read_within(item: WorkflowItem) -> timedelta:
    return READ_WITHIN[getattr(item, "priority", Priority.ROUTINE)]


def _check_unclaimed(item: WorkflowItem, actor) -> None:
    if item.owner_id is not None:
        raise Conflict(_("Another reader has already claimed this study."))


def _check_claimed_by_actor(item: WorkflowItem, actor) -> None:
    if item.owner_id != getattr(actor, "pk", None):
        raise Conflict(_("You have not claimed this study."))


def _check_claimed(item: WorkflowItem, actor) -> None:
    # The resident who claimed it drafts; an attending of the centre signs it.
    if item.owner_id is None:
        raise Conflict(_("Nobody has claimed this study: claim it before reporting."))


# ordered (requested) → scheduled (accepted) → performed (in-progress) → reading (claimed) →
# reported (completed). The site performs the exam locally, so "perform" is either side's.
# Overdue, it escalates to the centre's department head (level 1), then its duty officer
# (level 2), and stops there as a critical result does: the duty officer is the end of the line.
EXAM_ORDER_WORKFLOW = DEFAULT_WORKFLOW.derive(
    keep={"cancel", "enter_in_error", "hold", "resume"},
    add=[
        Transition(
            name="schedule",
            source=Status.REQUESTED,
            target=Status.ACCEPTED,
            side=Side.PERFORMER,
            business_status="scheduled",
        ),
        Transition(
            name="perform",
            source=[Status.REQUESTED, Status.ACCEPTED],
            target=Status.IN_PROGRESS,
            side=Side.EITHER,
            perm=Perm.PERFORM_SERVICE,
            business_status="performed",
        ),
        # Images of the order arrived at Lianxin's DICOM service from the site's modality: the
        # platform records the exam as performed (interfaces calls do_record_exam_images).
        Transition(
            name="perform",
            source=[Status.REQUESTED, Status.ACCEPTED],
            target=Status.IN_PROGRESS,
            side=Side.SYSTEM,
            business_status="performed",
        ),
        Transition(
            name="claim",
            source=Status.IN_PROGRESS,
            target=Status.IN_PROGRESS,
            side=Side.PERFORMER,
            business_status="reading",
            guard=_check_unclaimed,
        ),
        Transition(
            name="release",
            source=Status.IN_PROGRESS,
            target=Status.IN_PROGRESS,
            side=Side.PERFORMER,
            business_status="performed",
            guard=_check_claimed_by_actor,
        ),
        Transition(
            name="overflow",
            source=Status.IN_PROGRESS,
            target=Status.IN_PROGRESS,
            side=Side.PERFORMER,
            business_status="overflowed",
            guard=_check_unclaimed,
        ),
        Transition(
            name="report",
            source=Status.IN_PROGRESS,
            target=Status.COMPLETED,
            side=Side.PERFORMER,
            perm=Perm.SIGN_REPORT,
            business_status="reported",
            guard=_check_claimed,
        ),
        # A laboratory system (HL7 v2 ORU^R01) verified the result itself: a preliminary
        # result puts the order in progress, a final one reports it.
        Transition(
            name="receive_result",
            source=[Status.REQUESTED, Status.ACCEPTED, Status.IN_PROGRESS],
            target=Status.IN_PROGRESS,
            side=Side.SYSTEM,
            business_status="preliminary",
        ),
        Transition(
            name="report_result",
            source=[Status.REQUESTED, Status.ACCEPTED, Status.IN_PROGRESS],
            target=Status.COMPLETED,
            side=Side.SYSTEM,
            business_status="reported",
        ),
    ],
    due={
        Status.REQUESTED: _perform_within,
        Status.ACCEPTED: _perform_within,
        Status.IN_PROGRESS: _read_within,
    },
    max_escalation_level=2,
)


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Accepted by the laboratory system")
    FAILED = "failed", _("Could not be delivered")


class ExamOrderQuerySet(WorkflowQuerySet):
    def scope(self, access: Access) -> ExamOrderQuerySet:
        # Clinical roles of the ordering site, the reading institution and the centre that
        # first took the order; a health commission reads figures instead.
        ids = access.clinical_institution_ids
        return self.filter(
            Q(requester_institution_id__in=ids)
            | Q(performer_institution_id__in=ids)
            | Q(centre_institution_id__in=ids)
        )


class ExamOrder(WorkflowItem):
    """An exam ordered at a member site and read by a shared centre (基层检查、上级诊断), with
    its accession number. Closed when the signed report is back with the orderer."""

    workflow = EXAM_ORDER_WORKFLOW

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="exam_orders"
    )
    exam = models.ForeignKey(
        ExamItem, verbose_name=_("exam item"), on_delete=models.PROTECT, related_name="orders"
    )
    accession_number = models.CharField(_("accession number"), max_length=16, unique=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.ROUTINE
    )
    priority_rank = models.PositiveSmallIntegerField(_("priority rank"), default=2)
    has_critical = models.BooleanField(_("critical flag"), default=False)
    centre_type = models.CharField(_("centre type"), max_length=20, choices=CentreType.choices)
    centre = models.ForeignKey(
        Department,
        verbose_name=_("shared centre"),
        on_delete=models.PROTECT,
        related_name="exam_orders",
    )
    centre_institution = models.ForeignKey(
        Institution,
        verbose_name=_("centre institution"),
        on_delete=models.PROTECT,
        related_name="exam_orders_routed",
    )
    requester_department = models.ForeignKey(
        Department,
        verbose_name=_("ordering department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exam_orders_sent",
    )
    clinical_question = models.TextField(_("clinical question"), blank=True)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    performed_at = models.DateTimeField(_("performed at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("report signed at"), null=True, blank=True)
    viewed_at = models.DateTimeField(_("report viewed by orderer at"), null=True, blank=True)
    overflowed_at = models.DateTimeField(_("overflowed at"), null=True, blank=True)
    image_count = models.PositiveIntegerField(_("images"), default=0)
    study_uid = models.CharField(_("study instance UID"), max_length=64, blank=True)
    # The laboratory system's own number for the order (HL7 filler order number, OBR-3) and
    # whether the order reached it (outbound ORM^O01 / OML^O21).
    filler_order_number = models.CharField(
        _("filler order number"), max_length=40, blank=True, db_index=True
    )
    delivery_status = models.CharField(
        _("delivery to the laboratory system"),
        max_length=10,
        choices=DeliveryStatus.choices,
        blank=True,
        default="",
    )
    delivery_note = models.CharField(_("delivery note"), max_length=200, blank=True)
    retest_reason = models.CharField(
        _("re-test reason"), max_length=20, choices=RetestReason.choices, blank=True
    )

    objects = ExamOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("exam order")
        verbose_name_plural = _("exam orders")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["performer_institution", "status", "-has_critical", "priority_rank"],
                name="exam_worklist_idx",
            ),
            # The worklist's "reported" state: a centre's completed studies, latest signed
            # first, read in index order (a few pages of ~500,000 without sorting them all).
            models.Index(
                fields=["performer_institution", "status", "-signed_at", "-id"],
                name="exam_reported_idx",
            ),
            models.Index(
                fields=["requester_institution", "status", "created_at"],
                name="exam_sent_idx",
            ),
            models.Index(fields=["patient", "exam", "signed_at"], name="exam_patient_item_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority_rank__lte=2), name="exam_priority_rank_in_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.accession_number} {self.exam.name}"


class ExamOrderTransition(TransitionRecord):
    """One step of an exam order's history."""

    item = models.ForeignKey(
        ExamOrder,
        verbose_name=_("exam order"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )

    class Meta(TransitionRecord.Meta):
        verbose_name = _("exam order step")
        verbose_name_plural = _("exam order steps")


class ReportQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> ReportQuerySet:
        return self.filter(order__in=ExamOrder.objects.scope(access))


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class Report(BaseModel):
    """One version of the report of an exam order. A signed version is never changed again: an
    amendment is a new version with a reason, and both stay visible."""

    order = models.ForeignKey(
        ExamOrder, verbose_name=_("exam order"), on_delete=models.PROTECT, related_name="reports"
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    findings = models.JSONField(
        _("findings"), default=dict, help_text=_("Structured findings: section → text.")
    )
    impression = models.TextField(_("impression"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    amendment_reason = models.TextField(_("reason for amendment"), blank=True)
    qc_passed = models.BooleanField(_("quality control passed"), default=True)
    single_reader_reason = models.CharField(
        _("why one person wrote and signed"),
        max_length=200,
        blank=True,
        help_text=_("Recorded when the centre asks for a second reader but none was available."),
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["order_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["order", "version"], name="one_report_per_version"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(amendment_reason=""),
                name="report_amendment_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_by__isnull=False, signed_at__isnull=False),
                name="signed_report_has_signer_and_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.accession_number} v{self.version}"

    @property
    def is_signed(self) -> bool:
        return self.status == ReportStatus.SIGNED

    def save(self, *args, **kwargs) -> None:
        # A signed version is the record the orderer acted on: it is never written again.
        if self.pk is not None:
            stored = Report.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == ReportStatus.SIGNED:
                raise Conflict(_("A signed report cannot be changed; amend it instead."))
        super().save(*args, **kwargs)


class ResultFlag(models.TextChoices):
    NORMAL = "", _("Normal")
    LOW = "L", _("Low")
    HIGH = "H", _("High")
    CRITICAL = "C", _("Critical")


class ResultValueQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> ResultValueQuerySet:
        return self.filter(report__order__in=ExamOrder.objects.scope(access))


class ResultValue(BaseModel):
    """One measured value of a lab report version, in the unit the catalogue names."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="values"
    )
    analyte = models.CharField(_("analyte"), max_length=10)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=20)
    flag = models.CharField(
        _("flag"), max_length=1, choices=ResultFlag.choices, blank=True, default=""
    )
    reference_range = models.CharField(_("reference range"), max_length=40, blank=True)
    abnormal_flags = models.CharField(
        _("abnormal flags from the laboratory"), max_length=10, blank=True
    )

    objects = ResultValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("result value")
        verbose_name_plural = _("result values")
        ordering = ["report_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "analyte"], name="one_value_per_analyte_per_report"
            )
        ]

    def __str__(self) -> str:
        return f"{self.analyte} {self.value.normalize()} {self.unit}"


def _critical_escalate_after(item: WorkflowItem) -> timedelta:
    minutes = getattr(settings, "LIANXIN_CRITICAL_ESCALATE_MINUTES", None)
    return timedelta(minutes=minutes) if minutes else CRITICAL_ESCALATE_AFTER


# requested (notified) → completed (acknowledged with read-back). The centre raises it; the
# ordering site acknowledges. Level 1: department head, level 2: duty officer. Without a fixed
# ``escalate_every`` the engine repeats after the due period, so the setting governs both.
CRITICAL_RESULT_WORKFLOW = Workflow(
    [
        Transition(
            name="acknowledge",
            source=Status.REQUESTED,
            target=Status.COMPLETED,
            side=Side.REQUESTER,
            perm=Perm.VIEW_PATIENT,
            business_status="acknowledged",
        ),
        Transition(
            name="enter_in_error",
            source=[Status.REQUESTED, Status.COMPLETED],
            target=Status.ENTERED_IN_ERROR,
            side=Side.PERFORMER,
            reason_required=True,
        ),
    ],
    due={Status.REQUESTED: _critical_escalate_after},
    max_escalation_level=2,
    initial=(Status.REQUESTED,),
    create_side=Side.PERFORMER,
    create_perm=Perm.PERFORM_SERVICE,
)


class CriticalResultQuerySet(WorkflowQuerySet):
    def scope(self, access: Access) -> CriticalResultQuerySet:
        # Clinical roles of either party; a health commission reads the register's figures.
        ids = access.clinical_institution_ids
        return self.filter(
            Q(requester_institution_id__in=ids) | Q(performer_institution_id__in=ids)
        )


class CriticalResult(WorkflowItem):
    """A critical result (危急值) found by a centre for an order of a member site: both are
    parties. Notified at once; acknowledged by read-back of the value; escalates if not."""

    workflow = CRITICAL_RESULT_WORKFLOW

    order = models.ForeignKey(
        ExamOrder,
        verbose_name=_("exam order"),
        on_delete=models.PROTECT,
        related_name="critical_results",
    )
    patient = models.ForeignKey(
        Patient,
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="critical_results",
    )
    analyte = models.CharField(_("analyte"), max_length=10, blank=True)
    finding = models.CharField(_("finding"), max_length=200)
    value = models.CharField(_("value"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    source = models.CharField(_("limit source"), max_length=200, blank=True)
    found_at = models.DateTimeField(_("found at"))
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    read_back = models.CharField(_("read back"), max_length=200, blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)

    objects = CriticalResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("critical result")
        verbose_name_plural = _("critical results")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["requester_institution", "status", "created_at"],
                name="critical_site_idx",
            ),
            models.Index(
                fields=["performer_institution", "status", "created_at"],
                name="critical_centre_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding} {self.value} {self.unit}".strip()


class CriticalResultTransition(TransitionRecord):
    """One step of a critical result's history (notification, escalations, acknowledgement)."""

    item = models.ForeignKey(
        CriticalResult,
        verbose_name=_("critical result"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )

    class Meta(TransitionRecord.Meta):
        verbose_name = _("critical result step")
        verbose_name_plural = _("critical result steps")


class DutyPhone(BaseModel):
    """A number on a site's duty phone list: critical results are sent there at once."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="duty_phones",
    )
    label = models.CharField(_("label"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("duty phone")
        verbose_name_plural = _("duty phones")
        ordering = ["institution_id", "label"]

    def __str__(self) -> str:
        return f"{self.label} {self.phone}"


class RecognitionQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> RecognitionQuerySet:
        return self.filter(institution_id__in=access.clinical_institution_ids)


class Decision(models.TextChoices):
    RECOGNISED = "recognised", _("Recognised")
    DECLINED = "declined", _("Re-tested")


class Recognition(BaseModel):
    """A doctor's decision on a recognisable prior result when ordering an item: recognised
    (no new exam; the avoided cost is recorded) or declined with a national re-test reason."""

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+"
    )
    exam = models.ForeignKey(ExamItem, verbose_name=_("exam item"), on_delete=models.PROTECT)
    prior_report = models.ForeignKey(
        Report,
        verbose_name=_("prior result"),
        on_delete=models.PROTECT,
        related_name="recognitions",
    )
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices)
    reason = models.CharField(
        _("re-test reason"), max_length=20, choices=RetestReason.choices, blank=True
    )
    reason_text = models.CharField(_("reason (other)"), max_length=200, blank=True)
    avoided_cost = models.DecimalField(
        _("avoided cost (yuan)"), max_digits=9, decimal_places=2, default=0
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("doctor"), on_delete=models.PROTECT
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_order = models.ForeignKey(
        ExamOrder,
        verbose_name=_("new order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RecognitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("recognition decision")
        verbose_name_plural = _("recognition decisions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["institution", "created_at"], name="recognition_site_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="recognised") | ~Q(reason=""),
                name="declined_recognition_has_a_reason",
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(reason_text=""),
                name="other_retest_reason_is_explained",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exam.code}: {self.decision}"


class SpecimenStatus(models.TextChoices):
    # In context: "Sent" elsewhere is a column of send times, here a specimen's state.
    COLLECTED = "collected", pgettext_lazy("specimen status", "Collected")
    SENT = "sent", pgettext_lazy("specimen status", "Sent")
    RECEIVED = "received", pgettext_lazy("specimen status", "Received")
    PROCESSED = "processed", pgettext_lazy("specimen status", "Processed")
    REPORTED = "reported", pgettext_lazy("specimen status", "Reported")


SPECIMEN_STEPS = [s.value for s in SpecimenStatus]


class SpecimenQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> SpecimenQuerySet:
        return self.filter(order__in=ExamOrder.objects.scope(access))


class Specimen(BaseModel):
    """A pathology specimen tracked by its barcode label from collection to report."""

    order = models.ForeignKey(
        ExamOrder, verbose_name=_("exam order"), on_delete=models.PROTECT, related_name="specimens"
    )
    barcode = models.CharField(_("barcode"), max_length=32, unique=True)
    site = models.CharField(_("anatomical site"), max_length=80)
    status = models.CharField(
        _("status"), max_length=10, choices=SpecimenStatus.choices, default="collected"
    )
    is_frozen_section = models.BooleanField(_("frozen section"), default=False)
    collected_at = models.DateTimeField(_("collected at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)

    objects = SpecimenQuerySet.as_manager()

    class Meta:
        verbose_name = _("specimen")
        verbose_name_plural = _("specimens")
        ordering = ["collected_at"]

    def __str__(self) -> str:
        return self.barcode


class SecondReadRule(models.Model):
    """A shared centre asks that a report be signed (审核) by someone other than its writer, for
    all its exam items or one of them. The rule is data, kept per centre and item; signing alone
    under such a rule needs a recorded reason (the single-reader exception)."""

    centre = models.ForeignKey(
        Department,
        verbose_name=_("shared centre"),
        on_delete=models.CASCADE,
        related_name="second_read_rules",
    )
    exam = models.ForeignKey(
        ExamItem,
        verbose_name=_("exam item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: every exam item of the centre."),
    )
    requires_second_reader = models.BooleanField(_("requires a second reader"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("second-reader rule")
        verbose_name_plural = _("second-reader rules")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "exam"], name="one_second_read_rule_per_centre_and_item"
            ),
            models.UniqueConstraint(
                fields=["centre"],
                condition=Q(exam__isnull=True),
                name="one_second_read_rule_per_whole_centre",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.exam or '*'}"


# 12-lead ECG recordings (their own module).
from lianxin.diagnostics.ecg.models import EcgRecording  # noqa: E402, F401
