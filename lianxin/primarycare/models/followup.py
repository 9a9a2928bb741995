"""Follow-up plans (the workflow item that is due and escalates) and the visits that meet them.

A plan is one programme of a resident's follow-up: a chronic programme (hypertension, type-2
diabetes, …) with a rolling next due date, or a down-referral's care plan — post-operative plans
included, which are down-referrals too (e.g. from the township centre's surgery to the village
clinic). A care plan's items are the referral's own items (``referrals.FollowUpItem``): one model
for every care plan; the plan here only carries their next due date, so that an overdue item
escalates like any workflow item and appears on the team's list.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.core.workflow import (
    DEFAULT_WORKFLOW,
    Side,
    Status,
    Transition,
    TransitionRecord,
    WorkflowItem,
    WorkflowQuerySet,
)
from lianxin.network.models import Institution
from lianxin.patients.models import Patient
from lianxin.primarycare.models.contracts import Contract, team_scope
from lianxin.primarycare.models.teams import Team
from lianxin.primarycare.rules import (
    ESCALATE_EVERY,
    MAX_ESCALATION_LEVEL,
    SCHEDULES,
    Adherence,
    Control,
    Population,
    VisitMode,
)
from lianxin.workforce.models import Practitioner

CARE_PLAN = "care_plan"


class Programme(models.TextChoices):
    HYPERTENSION = Population.HYPERTENSION.value, _("Hypertension")
    DIABETES = Population.DIABETES.value, _("Type-2 diabetes")
    ELDERLY = Population.ELDERLY.value, _("Yearly check of the elderly")
    CHILD = Population.CHILD.value, _("Child health check-ups (0-6)")
    PREGNANT = Population.PREGNANT.value, _("Pregnancy and postpartum visits")
    SEVERE_MENTAL = Population.SEVERE_MENTAL.value, _("Severe mental disorder")
    TUBERCULOSIS = Population.TUBERCULOSIS.value, _("Pulmonary tuberculosis")
    CARE_PLAN = CARE_PLAN, _("Care plan after discharge")


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The end of ``day`` in the platform's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def _until_due(item: WorkflowItem) -> datetime.timedelta | None:
    due = getattr(item, "next_due_on", None)
    if due is None:
        return None
    return max(end_of_day(due) - item.status_changed_at, datetime.timedelta(0))


FOLLOW_UP_WORKFLOW = DEFAULT_WORKFLOW.derive(
    keep=["enter_in_error"],
    add=[
        # Plans move only through the primarycare actions (a visit, a contract's end, the
        # referral's loop closing), which act as the platform and record who caused the step.
        Transition(
            name="complete",
            source=Status.IN_PROGRESS,
            target=Status.COMPLETED,
            side=Side.SYSTEM,
        ),
        Transition(
            name="cancel",
            source=Status.IN_PROGRESS,
            target=Status.CANCELLED,
            side=Side.SYSTEM,
            reason_required=True,
        ),
    ],
    due={Status.IN_PROGRESS: _until_due},
    initial=[Status.IN_PROGRESS],
    escalate_every=ESCALATE_EVERY,
    max_escalation_level=MAX_ESCALATION_LEVEL,
)


class FollowUpPlanQuerySet(WorkflowQuerySet):
    def scope(self, access: Access) -> FollowUpPlanQuerySet:
        if not access.clinical_institution_ids:
            return self.none()
        return self.filter(team_scope(access, village_field="performer_institution"))


class FollowUpPlan(WorkflowItem):
    """One follow-up programme of a resident, due on ``next_due_on`` (the workflow item).

    The requester side is the team's centre, the performer side the resident's village clinic
    (or the centre when the resident has none on the team). Recording a visit moves the due date
    on; an overdue plan escalates to the team lead, then to the centre's duty officer.
    """

    workflow = FOLLOW_UP_WORKFLOW

    patient = models.ForeignKey(
        Patient,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="follow_up_plans",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="plans"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    programme = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("down-referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="family_doctor_plans",
        help_text=_("For a care plan: the down-referral whose items it follows."),
    )
    next_due_on = models.DateField(_("next follow-up due"), null=True, blank=True)
    anchor_on = models.DateField(
        _("schedule reckoned from"),
        null=True,
        blank=True,
        help_text=_(
            "For a scheduled programme: the child's birth date or the last menstrual period."
        ),
    )
    step = models.PositiveSmallIntegerField(
        _("next visit of the schedule"),
        default=0,
        help_text=_("For a scheduled programme: which visit of rules.SCHEDULES is next."),
    )
    last_visit_on = models.DateField(_("last follow-up"), null=True, blank=True)
    last_control = models.CharField(
        _("control at the last follow-up"), max_length=15, choices=Control.choices, blank=True
    )
    uncontrolled_in_a_row = models.PositiveSmallIntegerField(
        _("follow-ups not controlled in a row"), default=0
    )

    objects = FollowUpPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")
        ordering = ["next_due_on", "id"]
        indexes = [
            models.Index(
                fields=["requester_institution", "status", "next_due_on"], name="plan_centre_idx"
            ),
            models.Index(
                fields=["performer_institution", "status", "next_due_on"],
                name="plan_village_idx",
            ),
            models.Index(fields=["team", "programme", "status"], name="plan_team_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "programme"],
                condition=Q(status="in-progress") & ~Q(programme=CARE_PLAN),
                name="one_open_programme_per_resident",
            ),
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(referral__isnull=False),
                name="one_plan_per_down_referral",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.get_programme_display()}"

    @property
    def scheduled_visit(self):
        """The next visit of a scheduled programme (rules.SCHEDULES), or None."""
        schedule = SCHEDULES.get(self.programme)
        if not schedule or self.step >= len(schedule):
            return None
        return schedule[self.step]


class FollowUpPlanTransition(TransitionRecord):
    """One step of a follow-up plan's history (escalations included)."""

    item = models.ForeignKey(
        FollowUpPlan,
        verbose_name=_("follow-up plan"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )

    class Meta(TransitionRecord.Meta):
        verbose_name = _("follow-up plan step")
        verbose_name_plural = _("follow-up plan steps")


class VisitQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> VisitQuerySet:
        if not access.clinical_institution_ids:
            return self.none()
        return self.filter(team_scope(access, team_field="contract__team", village_field="site"))


class Visit(BaseModel):
    """A follow-up visit (随访记录) on a contract, with the measurements 规范(第三版) names: blood
    pressure, glucose, weight, heart rate, medication and lifestyle."""

    patient = models.ForeignKey(
        Patient, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="visits"
    )
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="visits"
    )
    site = models.ForeignKey(
        Institution, verbose_name=_("recorded for"), on_delete=models.PROTECT, related_name="+"
    )
    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("doctor"),
        null=True,
        on_delete=models.PROTECT,
        related_name="follow_up_visits",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT
    )
    visited_at = models.DateTimeField(_("visited at"))
    mode = models.CharField(_("how"), max_length=10, choices=VisitMode.choices)
    systolic = models.PositiveSmallIntegerField(_("systolic (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic (mmHg)"), null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (/min)"), null=True, blank=True)
    glucose = models.DecimalField(
        _("fasting glucose (mmol/L)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    height_cm = models.DecimalField(
        _("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    danger_signs = models.BooleanField(_("danger signs"), default=False)
    symptoms = models.CharField(_("symptoms"), max_length=200, blank=True)
    medication = models.CharField(_("medication"), max_length=200, blank=True)
    adherence = models.CharField(
        _("takes medication"), max_length=15, choices=Adherence.choices, blank=True
    )
    adverse_reaction = models.CharField(_("adverse drug reaction"), max_length=200, blank=True)
    smoking_per_day = models.PositiveSmallIntegerField(_("cigarettes a day"), null=True, blank=True)
    drinking_liang_per_day = models.DecimalField(
        _("alcohol a day (liang)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    exercise_minutes_per_week = models.PositiveSmallIntegerField(
        _("exercise a week (minutes)"), null=True, blank=True
    )
    advice = models.CharField(_("advice given"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    triggers = models.JSONField(_("referral triggers found"), default=list, blank=True)
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("up-referral proposed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["patient", "visited_at"], name="visit_patient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic__isnull=True)
                | Q(diastolic__isnull=True)
                | Q(systolic__gt=models.F("diastolic")),
                name="visit_systolic_above_diastolic",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} {timezone.localtime(self.visited_at):%Y-%m-%d}"

    @property
    def bmi(self):
        if not (self.weight_kg and self.height_cm):
            return None
        metres = float(self.height_cm) / 100
        return round(float(self.weight_kg) / (metres * metres), 1)


class Assessment(models.Model):
    """What a visit found for one plan: the control class (for chronic programmes), whether it
    was on time, and the next due date it set."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="assessments"
    )
    plan = models.ForeignKey(
        FollowUpPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="assessments"
    )
    visited_on = models.DateField(_("visited on"))
    face_to_face = models.BooleanField(_("face to face"))
    due_on = models.DateField(_("was due on"), null=True, blank=True)
    on_time = models.BooleanField(_("on time"), default=True)
    control = models.CharField(_("control"), max_length=15, choices=Control.choices, blank=True)
    next_due_on = models.DateField(_("next follow-up due"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up assessment")
        verbose_name_plural = _("follow-up assessments")
        ordering = ["visited_on", "id"]
        indexes = [
            models.Index(fields=["plan", "visited_on"], name="assessment_plan_idx"),
            models.Index(fields=["visited_on"], name="assessment_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.visited_on}"
