"""The outreach API: postings and their activity, capability building, remote education, what a
site can do at a moment, the sites that can do one thing, and the yearly figures.

Lists go through ``visible_to``; every write is an action endpoint calling the same action as the
pages, so the API and the UI cannot disagree about the rules.
"""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.access import access_for, get_for_user
from lianxin.core.api import ScopedViewSetMixin
from lianxin.core.permissions import Perm
from lianxin.network.models import Agreement, Capability, Community, Department, Institution
from lianxin.outreach import actions, queries
from lianxin.outreach.models import (
    CoBuiltSpecialty,
    Course,
    EducationSession,
    Posting,
    TechniqueTransfer,
    TrainingPlacement,
)
from lianxin.outreach.rules import (
    STATIONED_SENIORS_PER_10K,
    ActivityKind,
    AssessmentResult,
    ManagementArea,
    PostingKind,
    SpecialtyStatus,
)
from lianxin.workforce.models import Practitioner, Specialty


def _ref(source: str) -> serializers.UUIDField:
    return serializers.UUIDField(source=f"{source}.external_id", read_only=True, allow_null=True)


def _name(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.name", read_only=True, allow_null=True)


def _visible(queryset, user, public_id, field: str):
    """A row named in input, within the user's scope; else a field error (400)."""
    if public_id is None:
        return None
    row = queryset.visible_to(user).filter(external_id=public_id).first()
    if row is None:
        raise serializers.ValidationError({field: [_("Not found.")]})
    return row


def parse_moment(value: str | None) -> datetime.date | datetime.datetime | None:
    """``at`` as an ISO date or date-time; absent is now; anything else is a 400."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value) or parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise serializers.ValidationError({"at": [_("Give a date or a date and time (ISO 8601).")]})
    return parsed


# --- Postings ------------------------------------------------------------------------------


class PostingSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    practitioner = _ref("practitioner")
    practitioner_name = _name("practitioner")
    practitioner_title = serializers.CharField(source="practitioner.title", read_only=True)
    home_institution = _ref("home_institution")
    home_institution_name = _name("home_institution")
    host_institution = _ref("host_institution")
    host_institution_name = _name("host_institution")
    host_department = _ref("host_department")
    days = serializers.IntegerField(read_only=True)

    class Meta:
        model = Posting
        fields = [
            "id",
            "practitioner",
            "practitioner_name",
            "practitioner_title",
            "home_institution",
            "home_institution_name",
            "host_institution",
            "host_institution_name",
            "host_department",
            "kind",
            "management_area",
            "starts_on",
            "ends_on",
            "days",
            "role_at_host",
            "purpose",
            "is_cancelled",
            "cancel_reason",
        ]


class PostingCreateSerializer(serializers.Serializer):
    practitioner = serializers.UUIDField()
    host_institution = serializers.UUIDField()
    host_department = serializers.UUIDField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=PostingKind.choices)
    management_area = serializers.ChoiceField(
        choices=ManagementArea.choices, required=False, allow_blank=True
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    role_at_host = serializers.CharField(required=False, allow_blank=True, max_length=80)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PostingPeriodSerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class PostingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class PostingActivitySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    on = serializers.DateField()
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    sessions = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    patients = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PostingFilter(django_filters.FilterSet):
    host = django_filters.UUIDFilter(field_name="host_institution__external_id")
    home = django_filters.UUIDFilter(field_name="home_institution__external_id")
    practitioner = django_filters.UUIDFilter(field_name="practitioner__external_id")
    kind = django_filters.ChoiceFilter(choices=PostingKind.choices)
    active_on = django_filters.DateFilter(method="filter_active_on")
    year = django_filters.NumberFilter(method="filter_year")

    class Meta:
        model = Posting
        fields = ["host", "home", "practitioner", "kind", "active_on", "year", "is_cancelled"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)

    def filter_year(self, queryset, name, value):
        if not 1900 <= value <= 2999:
            return queryset.none()
        year = int(value)
        return queryset.filter(
            starts_on__lte=datetime.date(year, 12, 31), ends_on__gte=datetime.date(year, 1, 1)
        )


class InputMixin:
    def _input(self, serializer_class):
        incoming = serializer_class(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data


@extend_schema_view(
    create=extend_schema(request=PostingCreateSerializer, responses=PostingSerializer)
)
class PostingViewSet(
    InputMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Posting.objects.select_related(
        "practitioner", "home_institution", "host_institution", "host_department"
    ).order_by("-starts_on", "pk")
    serializer_class = PostingSerializer
    filterset_class = PostingFilter

    def create(self, request, *args, **kwargs):
        data = self._input(PostingCreateSerializer)
        user = request.user
        host = _visible(Institution.objects, user, data["host_institution"], "host_institution")
        posting = actions.do_create_posting(
            actor=user,
            practitioner=_visible(Practitioner.objects, user, data["practitioner"], "practitioner"),
            host_institution=host,
            host_department=_visible(
                Department.objects, user, data.get("host_department"), "host_department"
            ),
            kind=data["kind"],
            management_area=data.get("management_area", ""),
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            role_at_host=data.get("role_at_host", ""),
            purpose=data.get("purpose", ""),
        )
        return Response(
            PostingSerializer(self.get_queryset().get(pk=posting.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PostingPeriodSerializer, responses=PostingSerializer)
    @action(detail=True, methods=["post"])
    def period(self, request, id=None):
        posting = self.get_object()
        data = self._input(PostingPeriodSerializer)
        actions.do_change_posting_period(
            actor=request.user,
            posting=posting,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
        return Response(PostingSerializer(self.get_queryset().get(pk=posting.pk)).data)

    @extend_schema(request=PostingReasonSerializer, responses=PostingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        posting = self.get_object()
        data = self._input(PostingReasonSerializer)
        actions.do_cancel_posting(actor=request.user, posting=posting, reason=data["reason"])
        return Response(PostingSerializer(self.get_queryset().get(pk=posting.pk)).data)

    @extend_schema(methods=["get"], request=None, responses=PostingActivitySerializer(many=True))
    @extend_schema(
        methods=["post"], request=PostingActivitySerializer, responses=PostingActivitySerializer
    )
    @action(detail=True, methods=["get", "post"])
    def activity(self, request, id=None):
        posting = self.get_object()
        if request.method == "GET":
            return Response(
                PostingActivitySerializer(posting.activities.order_by("on", "pk"), many=True).data
            )
        data = self._input(PostingActivitySerializer)
        activity = actions.do_record_activity(
            actor=request.user,
            posting=posting,
            on=data["on"],
            kind=data["kind"],
            sessions=data["sessions"],
            patients=data["patients"],
            note=data.get("note", ""),
        )
        return Response(PostingActivitySerializer(activity).data, status=status.HTTP_201_CREATED)


# --- Capability building and education -----------------------------------------------------


class TechniqueTransferSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    host_institution = _ref("host_institution")
    host_institution_name = _name("host_institution")
    lead_institution = _ref("lead_institution")
    mentor = _ref("mentor")
    mentor_name = _name("mentor")
    capability = serializers.CharField(source="capability.code", read_only=True, allow_null=True)

    class Meta:
        model = TechniqueTransfer
        fields = [
            "id",
            "name",
            "capability",
            "host_institution",
            "host_institution_name",
            "lead_institution",
            "mentor",
            "mentor_name",
            "introduced_on",
            "first_case_on",
            "independent_on",
        ]


class TechniqueCreateSerializer(serializers.Serializer):
    host_institution = serializers.UUIDField()
    name = serializers.CharField(max_length=120)
    mentor = serializers.UUIDField()
    introduced_on = serializers.DateField()
    capability = serializers.SlugField(required=False, allow_blank=True)


class TechniqueCaseSerializer(serializers.Serializer):
    performed_on = serializers.DateField()
    with_mentor = serializers.BooleanField()
    operator = serializers.UUIDField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


@extend_schema_view(
    create=extend_schema(request=TechniqueCreateSerializer, responses=TechniqueTransferSerializer)
)
class TechniqueViewSet(
    InputMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = TechniqueTransfer.objects.select_related(
        "host_institution", "lead_institution", "mentor", "capability"
    ).order_by("-introduced_on", "pk")
    serializer_class = TechniqueTransferSerializer

    def create(self, request, *args, **kwargs):
        data = self._input(TechniqueCreateSerializer)
        user = request.user
        capability = None
        if data.get("capability"):
            capability = Capability.objects.filter(code=data["capability"]).first()
            if capability is None:
                raise serializers.ValidationError({"capability": [_("Not found.")]})
        technique = actions.do_introduce_technique(
            actor=user,
            host_institution=_visible(
                Institution.objects, user, data["host_institution"], "host_institution"
            ),
            name=data["name"],
            mentor=_visible(Practitioner.objects, user, data["mentor"], "mentor"),
            introduced_on=data["introduced_on"],
            capability=capability,
        )
        return Response(
            TechniqueTransferSerializer(self.get_queryset().get(pk=technique.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=TechniqueCaseSerializer, responses=TechniqueTransferSerializer)
    @action(detail=True, methods=["post"])
    def case(self, request, id=None):
        technique = self.get_object()
        data = self._input(TechniqueCaseSerializer)
        actions.do_record_technique_case(
            actor=request.user,
            technique=technique,
            performed_on=data["performed_on"],
            with_mentor=data["with_mentor"],
            operator=_visible(Practitioner.objects, request.user, data.get("operator"), "operator"),
            note=data.get("note", ""),
        )
        return Response(TechniqueTransferSerializer(self.get_queryset().get(pk=technique.pk)).data)


class TrainingPlacementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    trainee = _ref("trainee")
    trainee_name = _name("trainee")
    home_institution = _ref("home_institution")
    home_institution_name = _name("home_institution")
    host_institution = _ref("host_institution")
    department = _ref("department")
    department_name = _name("department")
    supervisor = _ref("supervisor")
    supervisor_name = _name("supervisor")

    class Meta:
        model = TrainingPlacement
        fields = [
            "id",
            "trainee",
            "trainee_name",
            "home_institution",
            "home_institution_name",
            "host_institution",
            "department",
            "department_name",
            "supervisor",
            "supervisor_name",
            "starts_on",
            "ends_on",
            "result",
            "assessed_on",
            "assessment_note",
        ]


class PlacementCreateSerializer(serializers.Serializer):
    trainee = serializers.UUIDField()
    host_institution = serializers.UUIDField()
    department = serializers.UUIDField(required=False, allow_null=True)
    supervisor = serializers.UUIDField(required=False, allow_null=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class PlacementAssessSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=AssessmentResult.choices)
    assessed_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


@extend_schema_view(
    create=extend_schema(request=PlacementCreateSerializer, responses=TrainingPlacementSerializer)
)
class PlacementViewSet(
    InputMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = TrainingPlacement.objects.select_related(
        "trainee", "home_institution", "host_institution", "department", "supervisor"
    ).order_by("-starts_on", "pk")
    serializer_class = TrainingPlacementSerializer

    def create(self, request, *args, **kwargs):
        data = self._input(PlacementCreateSerializer)
        user = request.user
        placement = actions.do_create_placement(
            actor=user,
            trainee=_visible(Practitioner.objects, user, data["trainee"], "trainee"),
            host_institution=_visible(
                Institution.objects, user, data["host_institution"], "host_institution"
            ),
            department=_visible(Department.objects, user, data.get("department"), "department"),
            supervisor=_visible(Practitioner.objects, user, data.get("supervisor"), "supervisor"),
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
        return Response(
            TrainingPlacementSerializer(self.get_queryset().get(pk=placement.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PlacementAssessSerializer, responses=TrainingPlacementSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request, id=None):
        placement = self.get_object()
        data = self._input(PlacementAssessSerializer)
        actions.do_assess_placement(
            actor=request.user,
            placement=placement,
            result=data["result"],
            assessed_on=data["assessed_on"],
            note=data.get("note", ""),
        )
        return Response(TrainingPlacementSerializer(self.get_queryset().get(pk=placement.pk)).data)


class EducationSessionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    course = _ref("course")
    course_title = serializers.CharField(source="course.title", read_only=True)
    provider_name = serializers.CharField(source="course.provider.name", read_only=True)
    lecturer_name = _name("lecturer")
    attendees = serializers.IntegerField(read_only=True)

    class Meta:
        model = EducationSession
        fields = [
            "id",
            "course",
            "course_title",
            "provider_name",
            "held_on",
            "topic",
            "lecturer_name",
            "is_live",
            "attendees",
        ]


class AttendanceInputSerializer(serializers.Serializer):
    institution = serializers.UUIDField()
    attendees = serializers.IntegerField(min_value=0, max_value=100_000)
    assessed = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    passed = serializers.IntegerField(min_value=0, max_value=100_000, default=0)


class SessionAttendanceSerializer(serializers.Serializer):
    institution = serializers.UUIDField(source="institution.external_id", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    attendees = serializers.IntegerField(read_only=True)
    assessed = serializers.IntegerField(read_only=True)
    passed = serializers.IntegerField(read_only=True)


class SessionViewSet(InputMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Sessions with their total attendance; ``…/attendance/`` gives each institution's
    attendance and assessment results, and records one institution's (again: replaces it)."""

    serializer_class = EducationSessionSerializer

    def get_queryset(self):
        return session_rows(self.request.user)

    @extend_schema(methods=["get"], request=None, responses=SessionAttendanceSerializer(many=True))
    @extend_schema(
        methods=["post"], request=AttendanceInputSerializer, responses=SessionAttendanceSerializer
    )
    @action(detail=True, methods=["get", "post"])
    def attendance(self, request, id=None):
        session = get_for_user(EducationSession.objects.select_related("course"), request.user, id)
        if request.method == "GET":
            rows = session.attendance.select_related("institution").order_by("institution__name")
            return Response(SessionAttendanceSerializer(rows, many=True).data)
        data = self._input(AttendanceInputSerializer)
        row = actions.do_record_attendance(
            actor=request.user,
            session=session,
            institution=_visible(
                Institution.objects, request.user, data["institution"], "institution"
            ),
            attendees=data["attendees"],
            assessed=data["assessed"],
            passed=data["passed"],
        )
        return Response(SessionAttendanceSerializer(row).data, status=status.HTTP_201_CREATED)


def session_rows(user):
    """Sessions the user may see, with their total attendance."""
    return (
        EducationSession.objects.visible_to(user)
        .select_related("course__provider", "lecturer")
        .annotate(attendees=Sum("attendance__attendees"))
        .order_by("-held_on", "pk")
    )


class CoBuiltSpecialtySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    lead_institution = _ref("lead_institution")
    host_institution = _ref("host_institution")
    host_institution_name = _name("host_institution")
    agreement = _ref("agreement")
    specialty = serializers.CharField(source="specialty.code", read_only=True, allow_null=True)

    class Meta:
        model = CoBuiltSpecialty
        fields = [
            "id",
            "name",
            "lead_institution",
            "host_institution",
            "host_institution_name",
            "specialty",
            "agreement",
            "goals",
            "status",
            "starts_on",
            "ends_on",
        ]


class CoBuiltSpecialtyCreateSerializer(serializers.Serializer):
    lead_institution = serializers.UUIDField()
    host_institution = serializers.UUIDField()
    name = serializers.CharField(max_length=80)
    goals = serializers.CharField(max_length=4000)
    status = serializers.ChoiceField(choices=SpecialtyStatus.choices, default="planned")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    agreement = serializers.UUIDField(required=False, allow_null=True)
    specialty = serializers.CharField(max_length=20, required=False, allow_null=True)


class CoBuiltSpecialtyUpdateSerializer(serializers.Serializer):
    """Only the fields sent change; ``agreement`` or ``specialty`` null clears them."""

    name = serializers.CharField(max_length=80, required=False)
    goals = serializers.CharField(max_length=4000, required=False)
    status = serializers.ChoiceField(choices=SpecialtyStatus.choices, required=False)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)
    agreement = serializers.UUIDField(required=False, allow_null=True)
    specialty = serializers.CharField(max_length=20, required=False, allow_null=True)


def _catalogue_specialty(code: str | None) -> Specialty | None:
    if not code:
        return None
    found = Specialty.objects.filter(code=code).first()
    if found is None:
        raise serializers.ValidationError({"specialty": [_("No such specialty.")]})
    return found


class CoBuiltSpecialtyStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SpecialtyStatus.choices)


@extend_schema_view(
    create=extend_schema(
        request=CoBuiltSpecialtyCreateSerializer, responses=CoBuiltSpecialtySerializer
    )
)
class CoBuiltSpecialtyViewSet(
    InputMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = CoBuiltSpecialty.objects.select_related(
        "lead_institution", "host_institution", "agreement", "specialty"
    ).order_by("-starts_on", "pk")
    serializer_class = CoBuiltSpecialtySerializer

    def create(self, request, *args, **kwargs):
        data = self._input(CoBuiltSpecialtyCreateSerializer)
        user = request.user
        item = actions.do_create_cobuilt_specialty(
            actor=user,
            lead_institution=_visible(
                Institution.objects, user, data["lead_institution"], "lead_institution"
            ),
            host_institution=_visible(
                Institution.objects, user, data["host_institution"], "host_institution"
            ),
            name=data["name"],
            goals=data["goals"],
            status=data["status"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            agreement=_visible(Agreement.objects, user, data.get("agreement"), "agreement"),
            specialty=_catalogue_specialty(data.get("specialty")),
        )
        return Response(
            CoBuiltSpecialtySerializer(self.get_queryset().get(pk=item.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=CoBuiltSpecialtyUpdateSerializer, responses=CoBuiltSpecialtySerializer)
    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        changes = dict(self._input(CoBuiltSpecialtyUpdateSerializer))
        if "agreement" in changes:
            changes["agreement"] = _visible(
                Agreement.objects, request.user, changes["agreement"], "agreement"
            )
        if "specialty" in changes:
            changes["specialty"] = _catalogue_specialty(changes["specialty"])
        actions.do_update_cobuilt_specialty(actor=request.user, item=item, **changes)
        return Response(CoBuiltSpecialtySerializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(request=CoBuiltSpecialtyStatusSerializer, responses=CoBuiltSpecialtySerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, id=None):
        item = self.get_object()
        data = self._input(CoBuiltSpecialtyStatusSerializer)
        actions.do_set_specialty_status(actor=request.user, item=item, status=data["status"])
        return Response(CoBuiltSpecialtySerializer(self.get_queryset().get(pk=item.pk)).data)


class EducationCourseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    provider = _ref("provider")
    provider_name = _name("provider")

    class Meta:
        model = Course
        fields = ["id", "provider", "provider_name", "title", "topic", "starts_on"]


class EducationCourseCreateSerializer(serializers.Serializer):
    provider = serializers.UUIDField()
    title = serializers.CharField(max_length=120)
    topic = serializers.CharField(max_length=80, required=False, allow_blank=True)
    starts_on = serializers.DateField()


class EducationCourseUpdateSerializer(serializers.Serializer):
    """Only the fields sent change."""

    title = serializers.CharField(max_length=120, required=False)
    topic = serializers.CharField(max_length=80, required=False, allow_blank=True)
    starts_on = serializers.DateField(required=False)


class EducationSessionCreateSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    topic = serializers.CharField(max_length=120)
    lecturer = serializers.UUIDField(required=False, allow_null=True)
    is_live = serializers.BooleanField(default=True)
    attendance = AttendanceInputSerializer(many=True, required=False)


@extend_schema_view(
    create=extend_schema(
        request=EducationCourseCreateSerializer, responses=EducationCourseSerializer
    )
)
class CourseViewSet(
    InputMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Course.objects.select_related("provider").order_by("-starts_on", "pk")
    serializer_class = EducationCourseSerializer

    def create(self, request, *args, **kwargs):
        data = self._input(EducationCourseCreateSerializer)
        user = request.user
        course = actions.do_create_course(
            actor=user,
            provider=_visible(Institution.objects, user, data["provider"], "provider"),
            title=data["title"],
            topic=data.get("topic", ""),
            starts_on=data["starts_on"],
        )
        return Response(
            EducationCourseSerializer(self.get_queryset().get(pk=course.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=EducationCourseUpdateSerializer, responses=EducationCourseSerializer)
    def partial_update(self, request, *args, **kwargs):
        course = self.get_object()
        data = self._input(EducationCourseUpdateSerializer)
        actions.do_update_course(
            actor=request.user,
            course=course,
            title=data.get("title", course.title),
            topic=data.get("topic", course.topic),
            starts_on=data.get("starts_on", course.starts_on),
        )
        return Response(EducationCourseSerializer(self.get_queryset().get(pk=course.pk)).data)

    @extend_schema(request=EducationSessionCreateSerializer, responses=EducationSessionSerializer)
    @action(detail=True, methods=["post"])
    def sessions(self, request, id=None):
        course = self.get_object()
        data = self._input(EducationSessionCreateSerializer)
        user = request.user
        attendance = [
            actions.Attendance(
                institution=_visible(Institution.objects, user, row["institution"], "attendance"),
                attendees=row["attendees"],
                assessed=row["assessed"],
                passed=row["passed"],
            )
            for row in data.get("attendance", [])
        ]
        session = actions.do_record_session(
            actor=user,
            course=course,
            held_on=data["held_on"],
            topic=data["topic"],
            lecturer=_visible(Practitioner.objects, user, data.get("lecturer"), "lecturer"),
            is_live=data["is_live"],
            attendance=attendance,
        )
        row = session_rows(user).get(pk=session.pk)
        return Response(EducationSessionSerializer(row).data, status=status.HTTP_201_CREATED)


# --- What a site can do now, and figures ---------------------------------------------------


class ProviderSerializer(serializers.Serializer):
    source = serializers.CharField()
    practitioner = serializers.UUIDField(source="practitioner_id", allow_null=True)
    practitioner_name = serializers.CharField()
    title = serializers.CharField()
    home_institution = serializers.CharField()
    posting = serializers.UUIDField(source="posting_id", allow_null=True)
    posting_ends_on = serializers.DateField(allow_null=True)
    equipment = serializers.IntegerField()


class SiteCapabilitySerializer(serializers.Serializer):
    code = serializers.CharField(source="capability.code")
    name = serializers.CharField(source="capability.name")
    kind = serializers.CharField(source="capability.kind")
    brought_by_posting = serializers.BooleanField()
    providers = ProviderSerializer(many=True)


class BlockedSerializer(serializers.Serializer):
    code = serializers.CharField(source="capability.code")
    name = serializers.CharField(source="capability.name")
    providers = ProviderSerializer(many=True)
    missing = serializers.SerializerMethodField()

    def get_missing(self, blocked) -> list[str]:
        return [c.code for c in blocked.missing]


class SiteCapabilitiesSerializer(serializers.Serializer):
    institution = serializers.UUIDField()
    institution_name = serializers.CharField()
    on = serializers.DateField()
    capabilities = SiteCapabilitySerializer(many=True)
    blocked = BlockedSerializer(many=True)


AT = OpenApiParameter("at", str, description="ISO date or date-time; default now")


class SiteCapabilityViewSet(viewsets.ViewSet):
    """``/site-capabilities/{institution id}/?at=``: what it can do then, who brings which."""

    lookup_field = "id"

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH), AT],
        responses=SiteCapabilitiesSerializer,
    )
    def retrieve(self, request, id=None):
        site = get_for_user(Institution, request.user, id)
        found = queries.capabilities(site, parse_moment(request.query_params.get("at")))
        return Response(
            SiteCapabilitiesSerializer(
                {
                    "institution": site.external_id,
                    "institution_name": site.name,
                    "on": found.on,
                    "capabilities": found.facilities + found.procedures,
                    "blocked": found.blocked,
                }
            ).data
        )


class SiteWithSerializer(serializers.Serializer):
    institution = serializers.UUIDField(source="site.external_id")
    institution_name = serializers.CharField(source="site.name")
    tier = serializers.CharField(source="site.tier")
    providers = ProviderSerializer(source="found.providers", many=True)
    brought_by_posting = serializers.BooleanField(source="found.brought_by_posting")


class SitesWithViewSet(viewsets.ViewSet):
    """``/sites-with/?capability=pci&at=``: the sites in the user's network that can do it."""

    @extend_schema(
        parameters=[OpenApiParameter("capability", str, required=True), AT],
        responses=SiteWithSerializer(many=True),
    )
    def list(self, request):
        code = (request.query_params.get("capability") or "").strip()
        if not Capability.objects.filter(code=code).exists():
            raise serializers.ValidationError({"capability": [_("No such capability.")]})
        at = parse_moment(request.query_params.get("at"))
        among = Institution.objects.visible_to(request.user).values("pk")
        return Response(
            SiteWithSerializer(
                [
                    {"site": site, "found": found}
                    for site, found in queries.sites_with(code, at, among=among)
                ],
                many=True,
            ).data
        )


class FiguresViewSet(viewsets.ViewSet):
    """``/outreach-figures/?year=&community=``: the yearly figures (aggregates only)."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int), OpenApiParameter("community", str)],
        responses=dict,
    )
    def list(self, request):
        if not access_for(request.user).has_perm(Perm.VIEW_AGGREGATES):
            raise PermissionDenied(_("Your role does not read figures."))
        year, community = figure_params(request)
        scope = queries.figure_scope(request.user, community)
        result = queries.figures(
            year, scope.institution_ids, resident_prefixes=scope.resident_prefixes
        )
        return Response(
            {
                "year": result.year,
                "community": str(community.external_id) if community else None,
                "totals": result.totals,
                "indicator": {**result.indicator, "rule": STATIONED_SENIORS_PER_10K.code},
                "by_member": [
                    {
                        **row,
                        "institution": str(row["institution"].external_id),
                        "institution_name": row["institution"].name,
                    }
                    for row in result.by_member
                ],
                "by_month": result.by_month,
            }
        )


def figure_params(request) -> tuple[int, Community | None]:
    """``year`` (default this year) and ``community`` (a visible one) from the query string."""
    raw = request.query_params.get("year")
    year = queries.parse_year(raw)
    if year is None:
        raise serializers.ValidationError({"year": [_("Give a year between 2000 and 2100.")]})
    community = None
    if request.query_params.get("community"):
        community = get_for_user(Community, request.user, request.query_params["community"])
    return year, community


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("postings", PostingViewSet, basename="posting")
    router.register("techniques", TechniqueViewSet, basename="technique")
    router.register("placements", PlacementViewSet, basename="placement")
    router.register("cobuilt-specialties", CoBuiltSpecialtyViewSet, basename="cobuilt-specialty")
    router.register("courses", CourseViewSet, basename="course")
    router.register("education-sessions", SessionViewSet, basename="education-session")
    router.register("site-capabilities", SiteCapabilityViewSet, basename="site-capabilities")
    router.register("sites-with", SitesWithViewSet, basename="sites-with")
    router.register("outreach-figures", FiguresViewSet, basename="outreach-figures")
