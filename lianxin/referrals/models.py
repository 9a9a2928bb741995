"""Two-way referrals, remote consultations, reserved appointment slots and the green channel.

A ``Referral`` and a ``Consultation`` are workflow items (``lianxin.core.workflow``): the requester
side is the referring / inviting institution, the performer side the receiving / invited one.
"""

from __future__ import annotations

import datetime
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.core.workflow import (
    DEFAULT_WORKFLOW,
    OPEN_STATUSES,
    Side,
    Status,
    Transition,
    TransitionRecord,
    WorkflowItem,
    WorkflowQuerySet,
)
from lianxin.network.models import Department, Institution
from lianxin.patients.models import Patient
from lianxin.referrals.rules import (
    ANSWER_WITHIN,
    ARRIVE_WITHIN,
    OUTCOME_WITHIN,
    ConsultationKind,
    Direction,
    FollowUpKind,
    Milestone,
    Urgency,
)
from lianxin.workforce.models import Practitioner


def _answer_within(item: WorkflowItem) -> timedelta:
    return ANSWER_WITHIN[getattr(item, "urgency", Urgency.ROUTINE)]


def _arrive_within(item: WorkflowItem) -> timedelta:
    slot = getattr(item, "slot", None)
    if slot is not None and item.status_changed_at:
        # Overdue one day after the booked slot: the patient did not come.
        return max(slot.ends_at - item.status_changed_at, timedelta(0)) + timedelta(days=1)
    return ARRIVE_WITHIN


def _outcome_within(item: WorkflowItem) -> timedelta:
    """An up-referral's outcome is due within OUTCOME_WITHIN; a down-referral's when its care
    plan's last item is due, plus a week to record it."""
    if getattr(item, "direction", "") == Direction.DOWN and item.pk:
        last = item.follow_ups.aggregate(last=models.Max("due_on"))["last"]
        if last is not None and item.status_changed_at:
            end = datetime.datetime.combine(
                last, datetime.time.max, tzinfo=item.status_changed_at.tzinfo
            )
            return max(end - item.status_changed_at, timedelta(0)) + timedelta(days=7)
    return OUTCOME_WITHIN


REFERRAL_WORKFLOW = DEFAULT_WORKFLOW.derive(
    add=[
        # The receiving department accepts straight from "requested" too: opening it first is
        # not a step a busy specialist should have to take.
        Transition(
            name="accept_direct",
            source=Status.REQUESTED,
            target=Status.ACCEPTED,
            side=Side.PERFORMER,
            label="accept",
        ),
        Transition(
            name="reject_direct",
            source=Status.REQUESTED,
            target=Status.REJECTED,
            side=Side.PERFORMER,
            reason_required=True,
            label="reject",
        ),
        # A care plan's follow-up recorded by a delegate of the receiving site (the patient's
        # family-doctor team in the village, see actions.follow_up_delegates) starts and closes
        # the plan as the platform, on the receiving side's behalf.
        Transition(
            name="start", source=Status.ACCEPTED, target=Status.IN_PROGRESS, side=Side.SYSTEM
        ),
        Transition(
            name="complete", source=Status.IN_PROGRESS, target=Status.COMPLETED, side=Side.SYSTEM
        ),
        Transition(
            name="no_show",
            source=Status.ACCEPTED,
            target=Status.FAILED,
            side=Side.PERFORMER,
            reason_required=True,
            business_status="no-show",
        ),
    ],
    due={
        Status.REQUESTED: _answer_within,
        Status.RECEIVED: _answer_within,
        Status.ACCEPTED: _arrive_within,
        Status.IN_PROGRESS: _outcome_within,
        Status.ON_HOLD: _outcome_within,
    },
)


class ReferralQuerySet(WorkflowQuerySet):
    def incoming(self, access: Access) -> ReferralQuerySet:
        return self.filter(performer_institution_id__in=access.institution_ids).exclude(
            status=Status.DRAFT
        )

    def outgoing(self, access: Access) -> ReferralQuerySet:
        return self.filter(requester_institution_id__in=access.institution_ids)

    def scope(self, access: Access) -> ReferralQuerySet:
        # Only clinical roles see referrals: a health commission reads the figures instead.
        # A draft (e.g. the down-referral proposed at discharge) is the referring side's until
        # it is sent: the receiving side does not see it.
        ids = access.clinical_institution_ids
        return self.filter(
            Q(requester_institution_id__in=ids)
            | (Q(performer_institution_id__in=ids) & ~Q(status=Status.DRAFT))
        )


# The worklist rank, stored in the row so that a worklist page is an ordered index scan with a
# LIMIT instead of a sort of everything an institution ever received: open emergencies 0, open
# urgent items 1, other open items 2, closed items 3. Plain strings in a sorted tuple, so the SQL
# (and the migration) is the same in every process: a frozenset's order changes with string
# hashing.
_OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
WORKLIST_RANK = Case(
    When(urgency=Urgency.EMERGENCY.value, status__in=_OPEN, then=Value(0)),
    When(urgency=Urgency.URGENT.value, status__in=_OPEN, then=Value(1)),
    When(status__in=_OPEN, then=Value(2)),
    default=Value(3),
    output_field=models.SmallIntegerField(),
)
# The lowest rank of a closed item: ``worklist_rank < CLOSED_RANK`` is the same set as
# ``status in OPEN_STATUSES``.
CLOSED_RANK = 3


class Referral(WorkflowItem):
    """A two-way referral (双向转诊): up to a specialist department, or down to primary care with a
    care plan. The loop closes when the outcome is back with the referring doctor."""

    workflow = REFERRAL_WORKFLOW

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="referrals"
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    requester_department = models.ForeignKey(
        Department,
        verbose_name=_("referring department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_sent",
    )
    requested_practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("requested doctor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_requested",
    )
    reason = models.TextField(_("reason for referral"))
    diagnosis_code = models.CharField(_("diagnosis (ICD-10)"), max_length=20, blank=True)
    diagnosis_text = models.CharField(_("working diagnosis"), max_length=200)
    history_summary = models.TextField(_("history summary"), blank=True)
    care_plan = models.TextField(_("care plan"), blank=True)
    outcome_summary = models.TextField(_("outcome (e.g. discharge summary)"), blank=True)
    outcome_at = models.DateTimeField(_("outcome sent at"), null=True, blank=True)
    outcome_seen_at = models.DateTimeField(_("outcome seen by referrer at"), null=True, blank=True)
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows referral"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
        help_text=_("For a down-referral: the up-referral the patient came by."),
    )
    # Computed by the database from status and urgency on every write (bulk ones and raw SQL
    # too), so it cannot go stale in the table. An instance keeps the value it was loaded with
    # until it is read again.
    worklist_rank = models.GeneratedField(
        expression=WORKLIST_RANK,
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("worklist rank"),
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["performer_institution", "status", "created_at"],
                name="referral_incoming_idx",
            ),
            models.Index(
                fields=["performer_department", "status", "created_at"],
                name="referral_dept_incoming_idx",
            ),
            models.Index(
                fields=["requester_institution", "status", "created_at"],
                name="referral_outgoing_idx",
            ),
            # The worklists' order (queries.WORKLIST_ORDER) after each box's filter column, so a
            # page is an ordered index scan with a LIMIT. The trailing columns are those the
            # other filters (scope, "mine") test, so a page's COUNT is an index-only scan.
            models.Index(
                fields=[
                    "performer_institution",
                    "worklist_rank",
                    "due_at",
                    "-created_at",
                    "requester_institution",
                    "performer_department",
                    "status",
                ],
                name="referral_incoming_rank_idx",
            ),
            models.Index(
                fields=[
                    "performer_department",
                    "worklist_rank",
                    "due_at",
                    "-created_at",
                    "performer_institution",
                    "requester_institution",
                    "status",
                ],
                name="referral_dept_rank_idx",
            ),
            models.Index(
                fields=[
                    "requester_institution",
                    "worklist_rank",
                    "due_at",
                    "-created_at",
                    "performer_institution",
                    "requester",
                ],
                name="referral_outgoing_rank_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(requester_institution=models.F("performer_institution")),
                name="referral_between_two_institutions",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.patient} → {self.performer_institution}"

    @property
    def is_green_channel(self) -> bool:
        return self.urgency == Urgency.EMERGENCY


class ReferralTransition(TransitionRecord):
    """One step of a referral's history."""

    item = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="transitions"
    )

    class Meta(TransitionRecord.Meta):
        verbose_name = _("referral step")
        verbose_name_plural = _("referral steps")


class ReferralAttachment(BaseModel):
    """A file sent with a referral (results, images, letters) until exams can be linked."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="referrals/%Y/%m/")
    name = models.CharField(_("name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class ReferralResult(BaseModel):
    """A result of the network (an exam order's signed report) linked to a referral by the
    referring doctor, so that the receiving site reads it through the referral."""

    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="linked_results",
    )
    order = models.ForeignKey(
        "diagnostics.ExamOrder",
        verbose_name=_("exam order"),
        on_delete=models.PROTECT,
        related_name="referral_links",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("linked result")
        verbose_name_plural = _("linked results")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "order"], name="referral_result_once")
        ]

    def __str__(self) -> str:
        return str(self.order_id)


class SlotQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> SlotQuerySet:
        # Slots are published to the community: everyone in the registry reach sees them.
        return self.filter(institution_id__in=access.registry_institution_ids)

    def free(self) -> SlotQuerySet:
        return self.filter(referral__isnull=True, is_cancelled=False)


class AppointmentSlot(BaseModel):
    """An appointment slot a department reserves for referrals from member institutions
    (号源下沉). Booking it is part of accepting a referral; a slot is never booked twice."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="slots"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="slots"
    )
    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("doctor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slots",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    referral = models.OneToOneField(
        Referral,
        verbose_name=_("booked for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slot",
    )
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)
    is_cancelled = models.BooleanField(_("withdrawn"), default=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("reserved slot")
        verbose_name_plural = _("reserved slots")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["department", "starts_at"], name="slot_department_time_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        # In the configured time zone: this text is the option a receiver picks on the accept form.
        return f"{self.department} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_free(self) -> bool:
        return self.referral_id is None and not self.is_cancelled


class FollowUpItem(BaseModel):
    """One item of a down-referral's care plan: a visit, test or review due on a date."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FollowUpKind.choices)
    description = models.CharField(_("what"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("follow-up item")
        verbose_name_plural = _("follow-up items")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["done_at", "due_on"], name="followup_due_idx")]

    def __str__(self) -> str:
        return f"{self.description} ({self.due_on})"


class GreenChannelEvent(models.Model):
    """A timestamped milestone of an emergency referral (绿色通道)."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="milestones"
    )
    milestone = models.CharField(_("milestone"), max_length=20, choices=Milestone.choices)
    at = models.DateTimeField(_("time"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("green-channel milestone")
        verbose_name_plural = _("green-channel milestones")
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "milestone"], name="green_channel_milestone_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_milestone_display()} {timezone.localtime(self.at):%H:%M}"


CONSULTATION_WORKFLOW = DEFAULT_WORKFLOW.derive(
    add=[
        Transition(
            name="accept_direct",
            source=Status.REQUESTED,
            target=Status.ACCEPTED,
            side=Side.PERFORMER,
            label="accept",
        ),
        Transition(
            name="reject_direct",
            source=Status.REQUESTED,
            target=Status.REJECTED,
            side=Side.PERFORMER,
            reason_required=True,
            label="reject",
        ),
    ],
    due={
        Status.REQUESTED: _answer_within,
        Status.RECEIVED: _answer_within,
        Status.ACCEPTED: timedelta(days=3),
        Status.IN_PROGRESS: timedelta(days=2),
    },
)


class ConsultationQuerySet(WorkflowQuerySet):
    def scope(self, access: Access) -> ConsultationQuerySet:
        ids = access.clinical_institution_ids
        invited = ConsultationInvitee.objects.filter(
            consultation=models.OuterRef("pk"), institution_id__in=ids
        )
        return self.filter(
            Q(requester_institution_id__in=ids)
            | Q(performer_institution_id__in=ids)
            | models.Exists(invited)
        )


class Consultation(WorkflowItem):
    """A remote consultation or MDT (远程会诊 / 多学科会诊).

    The inviting institution asks an invited specialist or department for an opinion; the loop
    closes when the opinion is signed and the inviting doctor has rated it."""

    workflow = CONSULTATION_WORKFLOW

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="consultations"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ConsultationKind.choices, default=ConsultationKind.REMOTE
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    question = models.TextField(_("question"))
    clinical_summary = models.TextField(_("clinical summary"), blank=True)
    proposed_at = models.DateTimeField(_("proposed time"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled time"), null=True, blank=True)
    video_link = models.URLField(
        _("video meeting link"),
        blank=True,
        help_text=_("Link to the meeting in the external video system."),
    )
    opinion = models.TextField(_("opinion"), blank=True)
    signed_by = models.ForeignKey(
        Practitioner,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations_signed",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["performer_institution", "status", "created_at"],
                name="consultation_incoming_idx",
            ),
            models.Index(
                fields=["requester_institution", "status", "created_at"],
                name="consultation_outgoing_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="consultation_rating_one_to_five",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.patient}"


class ConsultationTransition(TransitionRecord):
    """One step of a consultation's history."""

    item = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )

    class Meta(TransitionRecord.Meta):
        verbose_name = _("consultation step")
        verbose_name_plural = _("consultation steps")


class ConsultationInvitee(models.Model):
    """An invited party: the main one is the performer; an MDT has several."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="invitees",
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("specialist"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultation_invitations",
    )
    opinion = models.TextField(_("contribution"), blank=True)
    contributed_at = models.DateTimeField(_("contributed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invited party")
        verbose_name_plural = _("invited parties")
        indexes = [models.Index(fields=["institution"], name="invitee_institution_idx")]

    def __str__(self) -> str:
        return str(self.practitioner or self.department or self.institution)
