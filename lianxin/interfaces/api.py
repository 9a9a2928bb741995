"""The interfaces' API: the reconciliation queue of studies that arrived without a known order,
and the step that attaches one to its exam order (the same input as the page,
``inputs.AttachStudyForm``)."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from lianxin.core.adapters import api_step
from lianxin.interfaces.actions import record_study_read, record_study_search
from lianxin.interfaces.dicom.reconcile import may_reconcile, queue_for
from lianxin.interfaces.inputs import AttachStudyForm
from lianxin.interfaces.models import Study


class QueuedStudySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    source_institution = serializers.CharField(source="source_institution.name", read_only=True)
    source_ae_title = serializers.CharField(source="source_ae.ae_title", read_only=True, default="")
    order = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "id",
            "study_uid",
            "link_status",
            "order",
            "source_institution",
            "source_ae_title",
            "accession_number",
            "dicom_patient_id",
            "dicom_patient_name",
            "patient_birth_date",
            "patient_sex",
            "study_date",
            "description",
            "modalities",
            "series_count",
            "instance_count",
            "received_at",
        ]
        read_only_fields = fields

    def get_order(self, study: Study) -> str | None:
        return str(study.order.external_id) if study.order_id else None


class ReconciliationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Studies that arrived without an order Lianxin could find, for the imaging staff of the
    sending institution or of the centre serving it; ``attach`` links one to its exam order,
    which is then recorded as performed (audited). Anyone else gets a 404."""

    serializer_class = QueuedStudySerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    queryset = Study.objects.none()

    def get_queryset(self):
        if not may_reconcile(self.request.user):
            raise PermissionDenied("Only the staff of an imaging centre or site reconcile images.")
        # The list is the waiting ones; a study already attached still answers (its state).
        return queue_for(self.request.user, waiting=self.action == "list").select_related("order")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        page = getattr(self, "_listed", [])
        record_study_search(actor=request.user, studies=page, channel="api.reconciliation")
        return response

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._listed = list(page) if page is not None else list(queryset)
        return page

    def retrieve(self, request, *args, **kwargs):
        study = self.get_object()
        record_study_read(actor=request.user, study=study, channel="api.reconciliation")
        return Response(self.get_serializer(study).data)

    attach = api_step(
        AttachStudyForm,
        name="attach",
        respond=lambda viewset, study, result: Response(
            QueuedStudySerializer(Study.objects.select_related("order").get(pk=study.pk)).data
        ),
        response_serializer=QueuedStudySerializer,
    )


def routes(router) -> None:
    router.register("imaging/reconciliation", ReconciliationViewSet, basename="reconciliation")
