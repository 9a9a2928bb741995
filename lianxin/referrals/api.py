"""The referrals API: referrals, consultations and reserved slots.

Lists and details go through ``visible_to``; every step is a POST to an action endpoint
(``/referrals/{id}/accept/``) that calls the same action as the page, so the API and the UI
cannot disagree about the rules.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.access import access_for
from lianxin.core.adapters import api_step, run_api, serializer_for
from lianxin.core.api import ScopedViewSetMixin
from lianxin.core.workflow import OPEN_STATUSES, Status
from lianxin.network.models import Department, Institution
from lianxin.patients.models import Patient
from lianxin.referrals import actions
from lianxin.referrals.actions.consultations import Invitee
from lianxin.referrals.inputs import STEPS, CreateReferralForm
from lianxin.referrals.models import (
    AppointmentSlot,
    Consultation,
    FollowUpItem,
    Referral,
    ReferralResult,
)
from lianxin.referrals.queries import OPEN_REFERRALS, WORKLIST_ORDER
from lianxin.referrals.rules import (
    ConsultationKind,
    Direction,
    Urgency,
)
from lianxin.workforce.models import Practitioner

ITEM_RELATED = (
    "patient",
    "requester_institution",
    "performer_institution",
    "performer_department",
    "requester",
    "owner",
)


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


class WorkflowItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient = _ref("patient")
    patient_name = _name("patient")
    requester_institution = _ref("requester_institution")
    requester_institution_name = _name("requester_institution")
    performer_institution = _ref("performer_institution")
    performer_institution_name = _name("performer_institution")
    performer_department = _ref("performer_department")
    performer_department_name = _name("performer_department")
    requester = serializers.CharField(source="requester.username", read_only=True, allow_null=True)
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    common = [
        "id",
        "status",
        "business_status",
        "version",
        "urgency",
        "patient",
        "patient_name",
        "requester_institution",
        "requester_institution_name",
        "performer_institution",
        "performer_institution_name",
        "performer_department",
        "performer_department_name",
        "requester",
        "owner",
        "created_at",
        "status_changed_at",
        "due_at",
        "escalation_level",
        "overdue",
    ]

    def get_overdue(self, item) -> bool:
        return item.is_overdue() or (item.is_open and item.escalation_level > 0)


class ReferralSerializer(WorkflowItemSerializer):
    class Meta:
        model = Referral
        fields = [
            *WorkflowItemSerializer.common,
            "direction",
            "diagnosis_code",
            "diagnosis_text",
            "reason",
            "outcome_at",
        ]


class HistorySerializer(serializers.Serializer):
    name = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    business_status = serializers.CharField()
    actor = serializers.CharField(source="actor.username", allow_null=True)
    reason = serializers.CharField()
    at = serializers.DateTimeField()
    escalation_level = serializers.IntegerField()


class FollowUpSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)

    class Meta:
        model = FollowUpItem
        fields = ["id", "kind", "description", "due_on", "done_at", "result"]


class MilestoneSerializer(serializers.Serializer):
    milestone = serializers.CharField()
    at = serializers.DateTimeField()


class SlotBriefSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    department = _ref("department")

    class Meta:
        model = AppointmentSlot
        fields = ["id", "department", "starts_at", "ends_at"]


class LinkedResultSerializer(serializers.Serializer):
    """A network result linked to the referral (its page: ``referrals:linked-result``)."""

    id = serializers.UUIDField(source="external_id", read_only=True)
    order = serializers.UUIDField(source="order.external_id", read_only=True)
    accession_number = serializers.CharField(source="order.accession_number", read_only=True)
    exam = serializers.CharField(source="order.exam.name", read_only=True)
    institution = serializers.CharField(source="order.performer_institution.name", read_only=True)
    signed_at = serializers.DateTimeField(source="order.signed_at", read_only=True)


class ReferralDetailSerializer(ReferralSerializer):
    history = HistorySerializer(source="transitions", many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    slot = serializers.SerializerMethodField()

    class Meta(ReferralSerializer.Meta):
        fields = [
            *ReferralSerializer.Meta.fields,
            "history_summary",
            "care_plan",
            "outcome_summary",
            "outcome_seen_at",
            "history",
            "follow_ups",
            "milestones",
            "slot",
        ]

    def get_slot(self, referral) -> dict | None:
        slot = AppointmentSlot.objects.filter(referral=referral).first()
        return SlotBriefSerializer(slot).data if slot else None


class ReferralRecordSerializer(ReferralDetailSerializer):
    """A referral as ``GET /api/referrals/{id}/`` reads it: the detail and the network results
    linked to it (the step answers leave them out, to keep each step's queries down)."""

    linked_results = LinkedResultSerializer(many=True, read_only=True)

    class Meta(ReferralDetailSerializer.Meta):
        fields = [*ReferralDetailSerializer.Meta.fields, "linked_results"]


class ReferralReasonSerializer(serializers.Serializer):
    """A reason and the version last seen (consultation steps; referral steps use their form)."""

    version = serializers.IntegerField(required=False, help_text="The version you last saw.")
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ReferralFilter(django_filters.FilterSet):
    box = django_filters.ChoiceFilter(
        choices=[("incoming", "incoming"), ("sent", "sent")], method="filter_box"
    )
    status = django_filters.CharFilter(method="filter_status")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    patient = django_filters.UUIDFilter(field_name="patient__external_id")
    department = django_filters.UUIDFilter(method="filter_department")

    class Meta:
        model = Referral
        fields = ["direction", "urgency"]

    def filter_box(self, queryset, name, value):
        access = access_for(self.request.user)
        return queryset.incoming(access) if value == "incoming" else queryset.outgoing(access)

    def filter_department(self, queryset, name, value):
        # The department's id as a scalar subquery rather than a join on its public id, so the
        # database can walk the department's rank index in the list's order.
        department = Department.objects.filter(external_id=value).order_by().values("pk")[:1]
        return queryset.filter(performer_department_id=Subquery(department))

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(OPEN_REFERRALS)
        wanted = [v for v in value.split(",") if v in Status.values]
        return queryset.filter(status__in=wanted)

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(OPEN_REFERRALS).filter(
            Q(due_at__lt=timezone.now()) | Q(escalation_level__gt=0)
        )


def _step(name: str):
    """The API action of one referral step, over the same input form as its page view."""
    return api_step(
        STEPS[name],
        name=name,
        respond=lambda viewset, referral, result: viewset._done(referral),
        response_serializer=ReferralDetailSerializer,
    )


@extend_schema_view(
    create=extend_schema(
        request=serializer_for(CreateReferralForm), responses=ReferralDetailSerializer
    ),
    list=extend_schema(
        parameters=[OpenApiParameter("status", str, description="a status, several, or open")]
    ),
)
class ReferralViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Referrals: lists and details within the user's scope; create and every step go through
    the input forms of ``referrals/inputs.py`` (the same the pages use)."""

    queryset = Referral.objects.select_related(*ITEM_RELATED)
    filterset_class = ReferralFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset.order_by(*WORKLIST_ORDER)
        if self.action == "retrieve":
            return queryset.prefetch_related(
                "transitions__actor",
                "follow_ups",
                "milestones",
                Prefetch(
                    "linked_results",
                    ReferralResult.objects.select_related(
                        "order__exam", "order__performer_institution"
                    ),
                ),
            )
        return queryset

    def get_serializer_class(self):
        return ReferralRecordSerializer if self.action == "retrieve" else ReferralSerializer

    def create(self, request, *args, **kwargs):
        referral = run_api(CreateReferralForm, request)
        return Response(
            ReferralDetailSerializer(self._reload(referral)).data, status=status.HTTP_201_CREATED
        )

    def _reload(self, referral):
        return (
            self.get_queryset()
            .prefetch_related("transitions__actor", "follow_ups", "milestones")
            .get(pk=referral.pk)
        )

    def _done(self, referral):
        return Response(ReferralDetailSerializer(self._reload(referral)).data)

    receive = _step("receive")
    accept = _step("accept")
    reject = _step("reject")
    cancel = _step("cancel")
    no_show = _step("no_show")
    arrive = _step("arrive")
    complete = _step("complete")
    milestone = _step("milestone")
    follow_up = _step("follow_up")
    submit = _step("submit")


class SlotSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    institution = _ref("institution")
    department = _ref("department")
    department_name = _name("department")
    practitioner = _ref("practitioner")
    free = serializers.BooleanField(source="is_free", read_only=True)

    class Meta:
        model = AppointmentSlot
        fields = [
            "id",
            "institution",
            "department",
            "department_name",
            "practitioner",
            "starts_at",
            "ends_at",
            "free",
        ]


class PublishSerializer(serializers.Serializer):
    department = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    minutes = serializers.IntegerField()
    count = serializers.IntegerField()
    practitioner = serializers.UUIDField(required=False, allow_null=True)


class SlotFilter(django_filters.FilterSet):
    department = django_filters.UUIDFilter(field_name="department__external_id")
    institution = django_filters.UUIDFilter(field_name="institution__external_id")
    free = django_filters.BooleanFilter(method="filter_free")
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = AppointmentSlot
        fields: list[str] = []

    def filter_free(self, queryset, name, value):
        free = Q(referral__isnull=True, is_cancelled=False)
        return queryset.filter(free) if value else queryset.exclude(free)


@extend_schema_view(
    create=extend_schema(request=PublishSerializer, responses=SlotSerializer(many=True))
)
class SlotViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = AppointmentSlot.objects.select_related(
        "institution", "department", "practitioner"
    ).order_by("starts_at")
    serializer_class = SlotSerializer
    filterset_class = SlotFilter

    def create(self, request, *args, **kwargs):
        incoming = PublishSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        department = _visible(Department.objects, request.user, data["department"], "department")
        practitioner = _visible(
            Practitioner.objects, request.user, data.get("practitioner"), "practitioner"
        )
        slots = actions.do_publish_slots(
            actor=request.user,
            department=department,
            starts_at=data["starts_at"],
            minutes=data["minutes"],
            count=data["count"],
            practitioner=practitioner,
        )
        return Response(SlotSerializer(slots, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SlotSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, id=None):
        slot = actions.do_withdraw_slot(actor=request.user, slot=self.get_object())
        return Response(SlotSerializer(slot).data)


class ConsultationSerializer(WorkflowItemSerializer):
    class Meta:
        model = Consultation
        fields = [
            *WorkflowItemSerializer.common,
            "kind",
            "question",
            "proposed_at",
            "scheduled_at",
            "video_link",
            "signed_at",
            "rating",
        ]


class InviteeSerializer(serializers.Serializer):
    institution = _ref("institution")
    institution_name = _name("institution")
    department = _ref("department")
    practitioner = _ref("practitioner")
    opinion = serializers.CharField()


class ConsultationDetailSerializer(ConsultationSerializer):
    invitees = InviteeSerializer(many=True, read_only=True)
    history = HistorySerializer(source="transitions", many=True, read_only=True)

    class Meta(ConsultationSerializer.Meta):
        fields = [
            *ConsultationSerializer.Meta.fields,
            "clinical_summary",
            "opinion",
            "rating_comment",
            "invitees",
            "history",
        ]


class InviteeInputSerializer(serializers.Serializer):
    institution = serializers.UUIDField()
    department = serializers.UUIDField(required=False, allow_null=True)
    practitioner = serializers.UUIDField(required=False, allow_null=True)


class ConsultationCreateSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    kind = serializers.ChoiceField(
        choices=ConsultationKind.choices, default=ConsultationKind.REMOTE
    )
    invitees = InviteeInputSerializer(many=True)
    question = serializers.CharField(max_length=4000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    clinical_summary = serializers.CharField(max_length=8000, required=False, allow_blank=True)
    proposed_at = serializers.DateTimeField(required=False, allow_null=True)
    video_link = serializers.URLField(required=False, allow_blank=True)
    requester_institution = serializers.UUIDField(required=False, allow_null=True)


class ScheduleSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()
    video_link = serializers.URLField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False)


class OpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(max_length=20000, allow_blank=True)


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField()
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


@extend_schema_view(
    create=extend_schema(
        request=ConsultationCreateSerializer, responses=ConsultationDetailSerializer
    )
)
class ConsultationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Consultation.objects.select_related(*ITEM_RELATED).order_by("-created_at")
    extra_query_params = ("status",)

    def get_serializer_class(self):
        return ConsultationDetailSerializer if self.action != "list" else ConsultationSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                "invitees__institution",
                "invitees__department",
                "invitees__practitioner",
                "transitions__actor",
            )
        wanted = self.request.query_params.get("status")
        if wanted == "open":
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        return queryset

    def _done(self, consultation):
        return Response(
            ConsultationDetailSerializer(self.get_queryset().get(pk=consultation.pk)).data
        )

    def _input(self, serializer_class):
        incoming = serializer_class(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data

    def create(self, request, *args, **kwargs):
        data = self._input(ConsultationCreateSerializer)
        user = request.user
        invitees = [
            Invitee(
                institution=_visible(Institution.objects, user, i["institution"], "invitees"),
                department=_visible(Department.objects, user, i.get("department"), "invitees"),
                practitioner=_visible(
                    Practitioner.objects, user, i.get("practitioner"), "invitees"
                ),
            )
            for i in data["invitees"]
        ]
        consultation = actions.do_request_consultation(
            actor=user,
            patient=_visible(Patient.objects, user, data["patient"], "patient"),
            invitees=invitees,
            kind=data["kind"],
            question=data["question"],
            urgency=data["urgency"],
            clinical_summary=data.get("clinical_summary", ""),
            proposed_at=data.get("proposed_at"),
            video_link=data.get("video_link", ""),
            requester_institution=_visible(
                Institution.objects,
                user,
                data.get("requester_institution"),
                "requester_institution",
            ),
        )
        return Response(
            ConsultationDetailSerializer(self.get_queryset().get(pk=consultation.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ScheduleSerializer, responses=ConsultationDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, id=None):
        consultation = self.get_object()
        data = self._input(ScheduleSerializer)
        actions.do_accept_consultation(
            actor=request.user,
            consultation=consultation,
            scheduled_at=data["scheduled_at"],
            video_link=data.get("video_link", ""),
            expected_version=data.get("version"),
        )
        return self._done(consultation)

    @extend_schema(request=ReferralReasonSerializer, responses=ConsultationDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        consultation = self.get_object()
        data = self._input(ReferralReasonSerializer)
        actions.do_reject_consultation(
            actor=request.user, consultation=consultation, reason=data["reason"]
        )
        return self._done(consultation)

    @extend_schema(request=ReferralReasonSerializer, responses=ConsultationDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        consultation = self.get_object()
        data = self._input(ReferralReasonSerializer)
        actions.do_cancel_consultation(
            actor=request.user, consultation=consultation, reason=data["reason"]
        )
        return self._done(consultation)

    @extend_schema(request=OpinionSerializer, responses=ConsultationDetailSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, id=None):
        consultation = self.get_object()
        data = self._input(OpinionSerializer)
        actions.do_sign_opinion(
            actor=request.user, consultation=consultation, opinion=data["opinion"]
        )
        return self._done(consultation)

    @extend_schema(request=OpinionSerializer, responses=ConsultationDetailSerializer)
    @action(detail=True, methods=["post"])
    def contribute(self, request, id=None):
        consultation = self.get_object()
        data = self._input(OpinionSerializer)
        actions.do_contribute_opinion(
            actor=request.user, consultation=consultation, text=data["opinion"]
        )
        return self._done(consultation)

    @extend_schema(request=RatingSerializer, responses=ConsultationDetailSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, id=None):
        consultation = self.get_object()
        data = self._input(RatingSerializer)
        actions.do_rate_consultation(
            actor=request.user,
            consultation=consultation,
            rating=data["rating"],
            comment=data.get("comment", ""),
        )
        return self._done(consultation)


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("referrals", ReferralViewSet, basename="referral")
    router.register("slots", SlotViewSet, basename="slot")
    router.register("consultations", ConsultationViewSet, basename="consultation")
