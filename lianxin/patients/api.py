"""Patient API: list/search (ID numbers masked), detail (audited read), register, update."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.access import access_for
from lianxin.core.api import ScopedViewSetMixin
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.actions import do_register_patient, do_update_patient, record_patient_read
from lianxin.patients.models import Patient, PatientIdentifier, Sex
from lianxin.patients.queries import search_patients


class IdentifierSerializer(serializers.ModelSerializer):
    institution = serializers.UUIDField(source="institution.external_id", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)

    class Meta:
        model = PatientIdentifier
        fields = ["institution", "institution_name", "kind", "value"]


class PatientListSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "name", "name_initials", "sex", "birth_date", "id_number", "phone"]
        fields += ["identifiers"]


class PatientDetailSerializer(PatientListSerializer):
    id_number = serializers.CharField(read_only=True)

    class Meta(PatientListSerializer.Meta):
        fields = [*PatientListSerializer.Meta.fields, "address", "division_code", "created_at"]
        fields += ["updated_at"]


class PatientWriteSerializer(serializers.Serializer):
    """Input shapes only; the rules (ID number, consistency, phone) are checked by the action."""

    name = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=24, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PatientRegisterSerializer(PatientWriteSerializer):
    institution = serializers.UUIDField(
        required=False, help_text="Where to register; optional when you act for only one."
    )
    mrn = serializers.CharField(max_length=40, required=False, allow_blank=True)


class PatientFilter(django_filters.FilterSet):
    sex = django_filters.ChoiceFilter(choices=Sex.choices)
    birth_date_after = django_filters.DateFilter(field_name="birth_date", lookup_expr="gte")
    birth_date_before = django_filters.DateFilter(field_name="birth_date", lookup_expr="lte")
    institution = django_filters.UUIDFilter(method="filter_institution")

    class Meta:
        model = Patient
        fields = ["sex"]

    def filter_institution(self, queryset, name, value):
        """Patients holding a record number of this institution."""
        return queryset.filter(identifiers__institution__external_id=value).distinct()


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="name, pinyin initials, ID number or phone")
        ]
    ),
    create=extend_schema(request=PatientRegisterSerializer, responses=PatientDetailSerializer),
    update=extend_schema(request=PatientWriteSerializer, responses=PatientDetailSerializer),
    partial_update=extend_schema(request=PatientWriteSerializer, responses=PatientDetailSerializer),
)
class PatientViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Patient.objects.prefetch_related("identifiers__institution")
    filterset_class = PatientFilter

    def get_serializer_class(self):
        if self.action == "list":
            return PatientListSerializer
        if self.action == "create":
            return PatientRegisterSerializer
        if self.action in {"update", "partial_update"}:
            return PatientWriteSerializer
        return PatientDetailSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            queryset = search_patients(queryset, self.request.query_params.get("q", ""))
        return queryset

    def retrieve(self, request, *args, **kwargs):
        patient = self.get_object()
        record_patient_read(actor=request.user, patient=patient, channel="api")
        return Response(PatientDetailSerializer(patient).data)

    def _institution(self, public_id) -> Institution:
        user = self.request.user
        if public_id is not None:
            return get_object_or_404(Institution.objects.visible_to(user), external_id=public_id)
        candidates = access_for(user).institutions_with(Perm.REGISTER_PATIENT)
        if len(candidates) != 1:
            raise serializers.ValidationError(
                {"institution": [_("Say at which of your institutions to register the patient.")]}
            )
        return Institution.objects.get(pk=next(iter(candidates)))

    def create(self, request, *args, **kwargs):
        incoming = PatientRegisterSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if not access_for(request.user).has_perm(Perm.REGISTER_PATIENT):
            raise NotAllowed(_("You may not register patients."))
        patient, created = do_register_patient(
            actor=request.user,
            institution=self._institution(data.get("institution")),
            name=data.get("name", ""),
            sex=data.get("sex", ""),
            birth_date=data.get("birth_date"),
            id_number=data.get("id_number") or None,
            phone=data.get("phone", ""),
            address=data.get("address", ""),
            mrn=data.get("mrn") or None,
        )
        patient = Patient.objects.prefetch_related("identifiers__institution").get(pk=patient.pk)
        return Response(
            PatientDetailSerializer(patient).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def update(self, request, *args, **kwargs):
        patient = self.get_object()
        incoming = PatientWriteSerializer(data=request.data, partial=kwargs.get("partial", False))
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        do_update_patient(
            actor=request.user,
            patient=patient,
            name=data.get("name"),
            sex=data.get("sex"),
            birth_date=data.get("birth_date"),
            id_number=data.get("id_number"),
            phone=data.get("phone"),
            address=data.get("address"),
        )
        patient = Patient.objects.prefetch_related("identifiers__institution").get(pk=patient.pk)
        return Response(PatientDetailSerializer(patient).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("patients", PatientViewSet, basename="patient")
