"""People API: practitioners (with specialties and credentials) and the specialty catalogue."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.api import ScopedViewSetMixin
from lianxin.network.models import Department, Institution
from lianxin.workforce.actions import do_create_practitioner
from lianxin.workforce.models import Practitioner, Profession, Specialty, Title
from lianxin.workforce.queries import search_practitioners


class SpecialtySerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["code", "name"]


class CredentialSerializer(serializers.Serializer):
    procedure = serializers.CharField(source="capability.code")
    name = serializers.CharField(source="capability.name")
    granted_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)


class PractitionerSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    institution = serializers.UUIDField(source="institution.external_id", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    department = serializers.UUIDField(
        source="department.external_id", read_only=True, allow_null=True
    )
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True
    )
    specialties = SpecialtySerializer(many=True, read_only=True)

    class Meta:
        model = Practitioner
        fields = ["id", "name", "sex", "profession", "title", "licence_number", "institution"]
        fields += ["institution_name", "department", "department_name", "specialties"]
        fields += ["is_active"]


class PractitionerDetailSerializer(PractitionerSerializer):
    credentials = CredentialSerializer(many=True, read_only=True)

    class Meta(PractitionerSerializer.Meta):
        fields = [*PractitionerSerializer.Meta.fields, "phone", "credentials"]


class PractitionerWriteSerializer(serializers.Serializer):
    """Input shapes only; the rules are checked by the action."""

    institution = serializers.UUIDField()
    name = serializers.CharField(max_length=80)
    title = serializers.ChoiceField(choices=Title.choices)
    sex = serializers.ChoiceField(choices=[("M", "M"), ("F", "F")], required=False, default="")
    profession = serializers.ChoiceField(choices=Profession.choices, default=Profession.PHYSICIAN)
    licence_number = serializers.CharField(
        max_length=60, required=False, allow_blank=True, allow_null=True
    )
    department = serializers.UUIDField(required=False, allow_null=True)
    specialties = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=list
    )
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class PractitionerFilter(django_filters.FilterSet):
    institution = django_filters.UUIDFilter(field_name="institution__external_id")
    department = django_filters.UUIDFilter(field_name="department__external_id")
    title = django_filters.MultipleChoiceFilter(choices=Title.choices)
    specialty = django_filters.CharFilter(method="filter_specialty", label="specialty code")
    q = django_filters.CharFilter(method="filter_q", label="name, licence, department, specialty")

    class Meta:
        model = Practitioner
        fields = ["title", "profession", "is_active"]

    def filter_specialty(self, queryset, name, value):
        ids = Practitioner.objects.filter(specialties__code=value.strip()).values("id")
        return queryset.filter(id__in=ids)

    def filter_q(self, queryset, name, value):
        return search_practitioners(queryset, value)


@extend_schema_view(
    create=extend_schema(
        request=PractitionerWriteSerializer, responses=PractitionerDetailSerializer
    )
)
class PractitionerViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Practitioners of visible institutions, with specialties; detail adds credentials."""

    queryset = Practitioner.objects.select_related("institution", "department").prefetch_related(
        "specialties"
    )
    filterset_class = PractitionerFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related("credentials__capability")
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return PractitionerSerializer
        if self.action == "create":
            return PractitionerWriteSerializer
        return PractitionerDetailSerializer

    def create(self, request, *args, **kwargs):
        incoming = PractitionerWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        user = request.user
        institution = get_object_or_404(
            Institution.objects.visible_to(user), external_id=data.pop("institution")
        )
        department = None
        department_id = data.pop("department", None)
        if department_id is not None:
            department = (
                Department.objects.visible_to(user).filter(external_id=department_id).first()
            )
            if department is None:
                raise serializers.ValidationError({"department": [_("Not found.")]})
        practitioner = do_create_practitioner(
            actor=user,
            institution=institution,
            department=department,
            licence_number=data.pop("licence_number", None) or None,
            **data,
        )
        practitioner = self.get_queryset().get(pk=practitioner.pk)
        return Response(
            PractitionerDetailSerializer(practitioner).data, status=status.HTTP_201_CREATED
        )


class SpecialtyViewSet(viewsets.ReadOnlyModelViewSet):
    """The 诊疗科目 catalogue, the same for every signed-in user."""

    queryset = Specialty.objects.all()
    serializer_class = SpecialtySerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9.]+"


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("practitioners", PractitionerViewSet, basename="practitioner")
    router.register("specialties", SpecialtyViewSet, basename="specialty")
