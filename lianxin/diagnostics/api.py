"""The diagnostics API: exam orders (every step an action endpoint), the reading worklist,
critical results with acknowledgement by read-back, recognisable prior results and
recognition decisions. Endpoints call the same actions as the pages."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.access import access_for
from lianxin.core.api import ScopedViewSetMixin
from lianxin.core.permissions import Perm
from lianxin.core.workflow import OPEN_STATUSES, Status
from lianxin.diagnostics import actions
from lianxin.diagnostics.actions.common import ordering_institution
from lianxin.diagnostics.models import CriticalResult, ExamItem, ExamOrder, Report, Specimen
from lianxin.diagnostics.queries import WORKLIST_ORDER, WORKLIST_RELATED, recognisable_results
from lianxin.diagnostics.rules import Priority
from lianxin.network.models import Department, Institution
from lianxin.patients.models import Patient


def _ref(source: str) -> serializers.UUIDField:
    return serializers.UUIDField(source=f"{source}.external_id", read_only=True, allow_null=True)


def _visible(queryset, user, public_id, field: str):
    if public_id is None:
        return None
    row = queryset.visible_to(user).filter(external_id=public_id).first()
    if row is None:
        raise serializers.ValidationError({field: [_("Not found.")]})
    return row


class ValueSerializer(serializers.Serializer):
    analyte = serializers.CharField(max_length=10)
    value = serializers.CharField(max_length=30)
    unit = serializers.CharField(max_length=20, allow_blank=True)


class ReportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    signed_by = serializers.CharField(source="signed_by.username", read_only=True, allow_null=True)
    # Plain strings: "draft" / "signed" (an enum would collide with the workflow's "status").
    status = serializers.CharField(read_only=True)
    values = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "version",
            "status",
            "findings",
            "impression",
            "author",
            "signed_by",
            "signed_at",
            "amendment_reason",
        ]
        fields += ["values"]

    def get_values(self, report) -> list[dict]:
        return [
            {
                "analyte": v.analyte,
                "value": str(v.value.normalize()),
                "unit": v.unit,
                "flag": v.flag,
            }
            for v in report.values.all()
        ]


class ExamOrderSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient = _ref("patient")
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    exam = serializers.CharField(source="exam.code", read_only=True)
    exam_name = serializers.CharField(source="exam.name", read_only=True)
    requester_institution = _ref("requester_institution")
    requester_institution_name = serializers.CharField(
        source="requester_institution.name", read_only=True
    )
    performer_institution = _ref("performer_institution")
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ExamOrder
        fields = [
            "id",
            "accession_number",
            "status",
            "business_status",
            "version",
            "priority",
            "has_critical",
            "patient",
            "patient_name",
            "exam",
            "exam_name",
            "centre_type",
            "requester_institution",
            "requester_institution_name",
            "performer_institution",
            "owner",
            "created_at",
            "scheduled_at",
            "performed_at",
            "signed_at",
            "viewed_at",
            "due_at",
            "overdue",
        ]

    def get_overdue(self, order) -> bool:
        return order.is_overdue()


class ExamOrderDetailSerializer(ExamOrderSerializer):
    reports = ReportSerializer(many=True, read_only=True)

    class Meta(ExamOrderSerializer.Meta):
        fields = [*ExamOrderSerializer.Meta.fields, "clinical_question", "reports"]


class OrderCreateSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    exam = serializers.CharField(max_length=20)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    clinical_question = serializers.CharField(required=False, allow_blank=True, default="")
    requester_institution = serializers.UUIDField(required=False, allow_null=True)
    requester_department = serializers.UUIDField(required=False, allow_null=True)
    retest_reason = serializers.CharField(required=False, allow_blank=True, default="")
    retest_reason_text = serializers.CharField(required=False, allow_blank=True, default="")


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


class ExamScheduleSerializer(VersionSerializer):
    scheduled_at = serializers.DateTimeField(help_text="A time to come (ISO 8601).")


class PerformSerializer(VersionSerializer):
    image_count = serializers.IntegerField(required=False, min_value=0, default=0)
    study_uid = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    critical_suspected = serializers.BooleanField(required=False, default=False)


class DraftSerializer(serializers.Serializer):
    impression = serializers.CharField(allow_blank=True)
    findings = serializers.DictField(child=serializers.CharField(allow_blank=True), default=dict)
    values = ValueSerializer(many=True, required=False, default=list)


class SignSerializer(VersionSerializer):
    critical_finding = serializers.CharField(required=False, allow_blank=True, default="")
    single_reader_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="Where the centre requires a second reader: why the writer signs alone.",
    )


class AmendSerializer(DraftSerializer):
    reason = serializers.CharField(allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class FindingSerializer(serializers.Serializer):
    finding = serializers.CharField(allow_blank=True, max_length=200)


class ExamOrderFilter(django_filters.FilterSet):
    box = django_filters.ChoiceFilter(
        choices=[("sent", "sent"), ("worklist", "worklist")], method="filter_box"
    )
    status = django_filters.CharFilter(method="filter_status")
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    modality = django_filters.CharFilter(field_name="exam__modality")
    centre_type = django_filters.CharFilter(field_name="centre_type")
    site = django_filters.UUIDFilter(field_name="requester_institution__external_id")
    patient = django_filters.UUIDFilter(field_name="patient__external_id")
    claimed = django_filters.BooleanFilter(field_name="owner", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ExamOrder
        fields = ["priority"]

    def filter_box(self, queryset, name, value):
        access = access_for(self.request.user)
        if value == "sent":
            return queryset.filter(
                requester_institution_id__in=access.institutions_with(Perm.REQUEST_SERVICE)
            )
        return queryset.filter(
            performer_institution_id__in=access.institutions_with(Perm.PERFORM_SERVICE)
        )

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status__in=[v for v in value.split(",") if v in Status.values])


class ExamOrderViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Exam orders. List ``?box=worklist&status=in-progress`` is the reading worklist, in
    worklist order (critical first, then priority, then waiting time)."""

    queryset = ExamOrder.objects.select_related(*WORKLIST_RELATED, "performer_institution")
    filterset_class = ExamOrderFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset.order_by(*WORKLIST_ORDER)
        return queryset.prefetch_related("reports__values", "reports__author", "reports__signed_by")

    def get_serializer_class(self):
        return ExamOrderSerializer if self.action == "list" else ExamOrderDetailSerializer

    def _input(self, serializer_class):
        incoming = serializer_class(data=self.request.data)
        incoming.is_valid(raise_exception=True)
        return incoming.validated_data

    def _done(self, order, code=status.HTTP_200_OK):
        fresh = self.get_queryset().prefetch_related("reports__values").get(pk=order.pk)
        return Response(ExamOrderDetailSerializer(fresh).data, status=code)

    @extend_schema(request=OrderCreateSerializer, responses=ExamOrderDetailSerializer)
    def create(self, request, *args, **kwargs):
        data = self._input(OrderCreateSerializer)
        user = request.user
        exam = ExamItem.objects.filter(code=data["exam"], is_active=True).first()
        if exam is None:
            raise serializers.ValidationError({"exam": [_("No such exam in the catalogue.")]})
        order = actions.do_order_exam(
            actor=user,
            patient=_visible(Patient.objects, user, data["patient"], "patient"),
            exam=exam,
            priority=data["priority"],
            clinical_question=data["clinical_question"],
            requester_institution=_visible(
                Institution.objects,
                user,
                data.get("requester_institution"),
                "requester_institution",
            ),
            requester_department=_visible(
                Department.objects, user, data.get("requester_department"), "requester_department"
            ),
            retest_reason=data["retest_reason"],
            retest_reason_text=data["retest_reason_text"],
        )
        return self._done(order, status.HTTP_201_CREATED)

    @extend_schema(request=ExamScheduleSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, id=None):
        order = self.get_object()
        data = self._input(ExamScheduleSerializer)
        actions.do_schedule_exam(
            actor=request.user,
            order=order,
            scheduled_at=data["scheduled_at"],
            expected_version=data.get("version"),
        )
        return self._done(order)

    @extend_schema(request=PerformSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def perform(self, request, id=None):
        order = self.get_object()
        data = self._input(PerformSerializer)
        actions.do_perform_exam(
            actor=request.user,
            order=order,
            image_count=data["image_count"],
            study_uid=data["study_uid"],
            critical_suspected=data["critical_suspected"],
            expected_version=data.get("version"),
        )
        return self._done(order)

    @extend_schema(request=VersionSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, id=None):
        order = self.get_object()
        data = self._input(VersionSerializer)
        actions.do_claim_study(
            actor=request.user, order=order, expected_version=data.get("version")
        )
        return self._done(order)

    @extend_schema(request=None, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, id=None):
        order = self.get_object()
        actions.do_release_study(actor=request.user, order=order)
        return self._done(order)

    @extend_schema(request=None, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def overflow(self, request, id=None):
        order = self.get_object()
        actions.do_overflow_study(actor=request.user, order=order)
        return self._done(order)

    @extend_schema(request=DraftSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def draft(self, request, id=None):
        order = self.get_object()
        data = self._input(DraftSerializer)
        actions.do_draft_report(
            actor=request.user,
            order=order,
            impression=data["impression"],
            findings=data["findings"],
            values=[actions.Value(**v) for v in data["values"]],
        )
        return self._done(order)

    @extend_schema(request=SignSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, id=None):
        order = self.get_object()
        data = self._input(SignSerializer)
        actions.do_sign_report(
            actor=request.user,
            order=order,
            critical_finding=data["critical_finding"],
            single_reader_reason=data["single_reader_reason"],
            expected_version=data.get("version"),
        )
        return self._done(order)

    @extend_schema(request=AmendSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, id=None):
        order = self.get_object()
        data = self._input(AmendSerializer)
        actions.do_amend_report(
            actor=request.user,
            order=order,
            reason=data["reason"],
            impression=data["impression"],
            findings=data["findings"],
            values=[actions.Value(**v) for v in data["values"]],
        )
        return self._done(order)

    @extend_schema(request=FindingSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def critical(self, request, id=None):
        order = self.get_object()
        data = self._input(FindingSerializer)
        actions.do_raise_critical_result(actor=request.user, order=order, finding=data["finding"])
        return self._done(order)

    @extend_schema(request=ReasonSerializer, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        order = self.get_object()
        data = self._input(ReasonSerializer)
        actions.do_cancel_exam_order(actor=request.user, order=order, reason=data["reason"])
        return self._done(order)

    @extend_schema(request=None, responses=ExamOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def viewed(self, request, id=None):
        order = self.get_object()
        actions.do_mark_report_viewed(actor=request.user, order=order)
        return self._done(order)


class CriticalResultSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    order = _ref("order")
    patient = _ref("patient")
    requester_institution = _ref("requester_institution")
    performer_institution = _ref("performer_institution")

    class Meta:
        model = CriticalResult
        fields = [
            "id",
            "status",
            "order",
            "patient",
            "requester_institution",
            "performer_institution",
            "finding",
            "analyte",
            "value",
            "unit",
            "source",
            "found_at",
            "notified_at",
            "acknowledged_at",
            "read_back",
            "escalation_level",
            "due_at",
        ]


class AcknowledgeSerializer(serializers.Serializer):
    read_back = serializers.CharField(allow_blank=True, max_length=200)
    action_taken = serializers.CharField(required=False, allow_blank=True, default="")


class CriticalResultViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Critical results where the user's institution is a party (found it or ordered it)."""

    queryset = CriticalResult.objects.select_related(
        "order", "patient", "requester_institution", "performer_institution"
    ).order_by("-created_at")
    serializer_class = CriticalResultSerializer

    @extend_schema(request=AcknowledgeSerializer, responses=CriticalResultSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, id=None):
        result = self.get_object()
        incoming = AcknowledgeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        actions.do_acknowledge_critical_result(
            actor=request.user,
            result=result,
            read_back=incoming.validated_data["read_back"],
            action_taken=incoming.validated_data["action_taken"],
        )
        return Response(CriticalResultSerializer(self.get_queryset().get(pk=result.pk)).data)


class PriorSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id")
    accession_number = serializers.CharField(source="order.accession_number")
    signed_at = serializers.DateTimeField(source="order.signed_at")
    institution = serializers.CharField(source="order.performer_institution.name")
    impression = serializers.CharField()
    version = serializers.IntegerField()


class PriorQuerySerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    exam = serializers.CharField(max_length=20)


class RecogniseSerializer(PriorQuerySerializer):
    prior_report = serializers.UUIDField()


class RecognitionViewSet(viewsets.ViewSet):
    """Recognisable prior results for a patient and item, and recognising one."""

    def _args(self, serializer_class, data):
        incoming = serializer_class(data=data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        patient = _visible(Patient.objects, self.request.user, values["patient"], "patient")
        exam = ExamItem.objects.filter(code=values["exam"]).first()
        if exam is None:
            raise serializers.ValidationError({"exam": [_("No such exam in the catalogue.")]})
        return values, patient, exam

    @extend_schema(parameters=[PriorQuerySerializer], responses=PriorSerializer(many=True))
    def list(self, request):
        _values, patient, exam = self._args(PriorQuerySerializer, request.query_params)
        site = ordering_institution(request.user, None)
        rows = recognisable_results(patient, exam, site)[:20]
        return Response(PriorSerializer(rows, many=True).data)

    @extend_schema(request=RecogniseSerializer, responses=None)
    def create(self, request):
        values, patient, exam = self._args(RecogniseSerializer, request.data)
        prior = _visible(Report.objects, request.user, values["prior_report"], "prior_report")
        decision = actions.do_recognise_result(
            actor=request.user, patient=patient, exam=exam, prior_report=prior
        )
        return Response(
            {
                "id": str(decision.external_id),
                "decision": decision.decision,
                "avoided_cost": str(decision.avoided_cost),
            },
            status=status.HTTP_201_CREATED,
        )


class SpecimenSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    order = _ref("order")
    status = serializers.CharField(read_only=True, help_text="collected, sent, received, …")

    class Meta:
        model = Specimen
        fields = [
            "id",
            "order",
            "barcode",
            "site",
            "status",
            "is_frozen_section",
            "collected_at",
            "sent_at",
            "received_at",
            "processed_at",
            "reported_at",
        ]


class SpecimenCreateSerializer(serializers.Serializer):
    order = serializers.UUIDField()
    barcode = serializers.CharField(max_length=40)
    site = serializers.CharField(max_length=80, allow_blank=True)
    frozen_section = serializers.BooleanField(required=False, default=False)


class SpecimenStepSerializer(serializers.Serializer):
    barcode = serializers.CharField(max_length=40)
    to = serializers.CharField(max_length=12)


class SpecimenViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Pathology specimens by barcode: label one (the ordering site), scan the next step."""

    queryset = Specimen.objects.select_related("order").order_by("-collected_at")
    serializer_class = SpecimenSerializer
    filterset_fields = ["status", "barcode"]

    @extend_schema(request=SpecimenCreateSerializer, responses=SpecimenSerializer)
    def create(self, request, *args, **kwargs):
        incoming = SpecimenCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        order = _visible(
            ExamOrder.objects.select_related("exam"), request.user, data["order"], "order"
        )
        specimen = actions.do_register_specimen(
            actor=request.user,
            order=order,
            barcode=data["barcode"],
            site=data["site"],
            frozen_section=data["frozen_section"],
        )
        return Response(SpecimenSerializer(specimen).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SpecimenStepSerializer, responses=SpecimenSerializer)
    @action(detail=False, methods=["post"])
    def scan(self, request):
        incoming = SpecimenStepSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        specimen = actions.do_advance_specimen(
            actor=request.user,
            barcode=incoming.validated_data["barcode"],
            to=incoming.validated_data["to"],
        )
        return Response(SpecimenSerializer(specimen).data)


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("exam-orders", ExamOrderViewSet, basename="exam-order")
    router.register("critical-results", CriticalResultViewSet, basename="critical-result")
    router.register("recognitions", RecognitionViewSet, basename="recognition")
    router.register("specimens", SpecimenViewSet, basename="specimen")
