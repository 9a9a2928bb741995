"""Outreach and capability building: postings of practitioners to member sites and what they do
there, technique transfer, co-built specialties, training placements and remote education.

None of these rows is about a patient: they are seen across the user's network (registry scope),
by the health commission too, like the registry itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.network.models import Agreement, Capability, Department, Institution
from lianxin.outreach.rules import (
    ActivityKind,
    AssessmentResult,
    ManagementArea,
    PostingKind,
    SpecialtyStatus,
)
from lianxin.workforce.models import Practitioner, Specialty


class TwoPartyQuerySet(ScopedQuerySet):
    """Seen when either party (the sending or the receiving institution) is in the user's reach."""

    parties: tuple[str, str] = ("home_institution", "host_institution")

    def scope(self, access: Access) -> TwoPartyQuerySet:
        ids = access.registry_institution_ids
        first, second = self.parties
        return self.filter(Q(**{f"{first}_id__in": ids}) | Q(**{f"{second}_id__in": ids}))


class PostingQuerySet(TwoPartyQuerySet):
    def active_on(self, day) -> PostingQuerySet:
        return self.filter(is_cancelled=False, starts_on__lte=day, ends_on__gte=day)


class Posting(BaseModel):
    """A practitioner sent from their institution to another for a period (专家下沉): long-term
    stationing (驻点), short-term support, itinerant clinics (巡诊) or management staff."""

    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("practitioner"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    home_institution = models.ForeignKey(
        Institution,
        verbose_name=_("sending institution"),
        on_delete=models.PROTECT,
        related_name="postings_sent",
    )
    host_institution = models.ForeignKey(
        Institution,
        verbose_name=_("host institution"),
        on_delete=models.PROTECT,
        related_name="postings_hosted",
    )
    host_department = models.ForeignKey(
        Department,
        verbose_name=_("host department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="postings_hosted",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PostingKind.choices)
    management_area = models.CharField(
        _("management area"), max_length=20, choices=ManagementArea.choices, blank=True
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    role_at_host = models.CharField(
        _("role at the host"), max_length=80, blank=True, help_text=_("e.g. acting director")
    )
    purpose = models.TextField(_("purpose"), blank=True)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PostingQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["-starts_on", "pk"]
        indexes = [
            models.Index(fields=["host_institution", "starts_on"], name="posting_host_start_idx"),
            models.Index(fields=["practitioner", "starts_on"], name="posting_practitioner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="posting_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(host_institution=models.F("home_institution")),
                name="posting_to_another_institution",
            ),
            models.CheckConstraint(
                condition=Q(kind="management", management_area__gt="")
                | (~Q(kind="management") & Q(management_area="")),
                name="posting_management_area_only_for_management_staff",
            ),
        ]
        # On PostgreSQL an exclusion constraint (migration 0002) also refuses two postings of
        # one practitioner on the same day.

    def __str__(self) -> str:
        return (
            f"{self.practitioner.name} → {self.host_institution} ({self.starts_on}–{self.ends_on})"
        )

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class ActivityQuerySet(TwoPartyQuerySet):
    parties = ("posting__home_institution", "posting__host_institution")


class PostingActivity(BaseModel):
    """What a posted practitioner did on one day at the host: clinics, patients seen,
    operations, teaching, ward rounds, consultations."""

    posting = models.ForeignKey(
        Posting, verbose_name=_("posting"), on_delete=models.CASCADE, related_name="activities"
    )
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    sessions = models.PositiveIntegerField(_("sessions"), default=1)
    patients = models.PositiveIntegerField(_("patients seen"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting activity")
        verbose_name_plural = _("posting activities")
        ordering = ["-on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions__gte=1), name="posting_activity_at_least_one_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class TechniqueQuerySet(TwoPartyQuerySet):
    parties = ("lead_institution", "host_institution")


class TechniqueTransfer(BaseModel):
    """A technique introduced at a member site (新技术新项目) with a mentor from the lead side:
    the first case (首例) and the day host staff first perform it without the mentor."""

    host_institution = models.ForeignKey(
        Institution,
        verbose_name=_("host institution"),
        on_delete=models.PROTECT,
        related_name="techniques_received",
    )
    lead_institution = models.ForeignKey(
        Institution,
        verbose_name=_("mentor's institution"),
        on_delete=models.PROTECT,
        related_name="techniques_transferred",
    )
    name = models.CharField(_("technique"), max_length=120)
    capability = models.ForeignKey(
        Capability,
        verbose_name=_("procedure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    mentor = models.ForeignKey(
        Practitioner,
        verbose_name=_("mentor"),
        on_delete=models.PROTECT,
        related_name="techniques_mentored",
    )
    introduced_on = models.DateField(_("introduced on"))
    first_case_on = models.DateField(_("first case on"), null=True, blank=True)
    independent_on = models.DateField(
        _("independent since"),
        null=True,
        blank=True,
        help_text=_("First case performed by host staff without the mentor."),
    )

    objects = TechniqueQuerySet.as_manager()

    class Meta:
        verbose_name = _("technique transfer")
        verbose_name_plural = _("technique transfers")
        ordering = ["-introduced_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(host_institution=models.F("lead_institution")),
                name="technique_transfer_between_two_institutions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.host_institution}"


class CaseQuerySet(TwoPartyQuerySet):
    parties = ("technique__lead_institution", "technique__host_institution")


class TechniqueCase(BaseModel):
    """One case of a transferred technique at the host, with or without the mentor."""

    technique = models.ForeignKey(
        TechniqueTransfer,
        verbose_name=_("technique"),
        on_delete=models.CASCADE,
        related_name="cases",
    )
    performed_on = models.DateField(_("performed on"))
    operator = models.ForeignKey(
        Practitioner,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="technique_cases",
    )
    with_mentor = models.BooleanField(_("with the mentor"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("technique case")
        verbose_name_plural = _("technique cases")
        ordering = ["performed_on", "pk"]

    def __str__(self) -> str:
        return f"{self.technique.name} {self.performed_on}"


class CoBuiltSpecialty(BaseModel):
    """A specialty the lead and a member build together (专科共建): agreement, goals, status."""

    lead_institution = models.ForeignKey(
        Institution,
        verbose_name=_("lead institution"),
        on_delete=models.PROTECT,
        related_name="specialties_led",
    )
    host_institution = models.ForeignKey(
        Institution,
        verbose_name=_("member institution"),
        on_delete=models.PROTECT,
        related_name="specialties_built",
    )
    name = models.CharField(_("specialty"), max_length=80)
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("catalogue specialty"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    goals = models.TextField(_("goals"))
    status = models.CharField(
        _("status"), max_length=12, choices=SpecialtyStatus.choices, default=SpecialtyStatus.PLANNED
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    objects = TechniqueQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-built specialty")
        verbose_name_plural = _("co-built specialties")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(host_institution=models.F("lead_institution")),
                name="cobuilt_specialty_between_two_institutions",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="cobuilt_specialty_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.host_institution}"


class TrainingPlacement(BaseModel):
    """A member's staff trained at the lead hospital (进修): department, period, supervisor and
    the assessment at the end."""

    trainee = models.ForeignKey(
        Practitioner,
        verbose_name=_("trainee"),
        on_delete=models.PROTECT,
        related_name="placements",
    )
    home_institution = models.ForeignKey(
        Institution,
        verbose_name=_("trainee's institution"),
        on_delete=models.PROTECT,
        related_name="placements_sent",
    )
    host_institution = models.ForeignKey(
        Institution,
        verbose_name=_("training institution"),
        on_delete=models.PROTECT,
        related_name="placements_hosted",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
    )
    supervisor = models.ForeignKey(
        Practitioner,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements_supervised",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    result = models.CharField(
        _("assessment result"),
        max_length=10,
        choices=AssessmentResult.choices,
        default=AssessmentResult.PENDING,
    )
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    assessment_note = models.CharField(_("assessment note"), max_length=200, blank=True)

    objects = TwoPartyQuerySet.as_manager()

    class Meta:
        verbose_name = _("training placement")
        verbose_name_plural = _("training placements")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="placement_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(host_institution=models.F("home_institution")),
                name="placement_at_another_institution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainee.name} @ {self.host_institution}"


class ProviderQuerySet(ScopedQuerySet):
    provider_path = "provider"

    def scope(self, access: Access) -> ProviderQuerySet:
        return self.filter(**{f"{self.provider_path}_id__in": access.registry_institution_ids})


class Course(BaseModel):
    """A remote-education course (远程教育) an institution offers to its network."""

    provider = models.ForeignKey(
        Institution,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="courses",
    )
    title = models.CharField(_("title"), max_length=120)
    topic = models.CharField(_("topic"), max_length=80, blank=True)
    starts_on = models.DateField(_("starts on"))

    objects = ProviderQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-starts_on", "title"]

    def __str__(self) -> str:
        return self.title


class SessionQuerySet(ProviderQuerySet):
    provider_path = "course__provider"


class EducationSession(BaseModel):
    """One session of a course, live or recorded, with its lecturer."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=120)
    lecturer = models.ForeignKey(
        Practitioner,
        verbose_name=_("lecturer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_live = models.BooleanField(_("live"), default=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("education session")
        verbose_name_plural = _("education sessions")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.topic} {self.held_on}"


class AttendanceQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> AttendanceQuerySet:
        ids = access.registry_institution_ids
        return self.filter(Q(institution_id__in=ids) | Q(session__course__provider_id__in=ids))


class SessionAttendance(BaseModel):
    """How many of one institution's staff attended a session (person-times) and passed its
    assessment."""

    session = models.ForeignKey(
        EducationSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="education_attendance",
    )
    attendees = models.PositiveIntegerField(_("attendees"))
    assessed = models.PositiveIntegerField(_("assessed"), default=0)
    passed = models.PositiveIntegerField(_("passed"), default=0)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("session attendance")
        verbose_name_plural = _("session attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "institution"], name="attendance_once_per_institution"
            ),
            models.CheckConstraint(
                condition=Q(assessed__lte=models.F("attendees")),
                name="attendance_assessed_at_most_attendees",
            ),
            models.CheckConstraint(
                condition=Q(passed__lte=models.F("assessed")),
                name="attendance_passed_at_most_assessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.institution} ({self.attendees})"
