"""Registry API: communities, institutions, departments, agreements, the capability catalogue and
equipment. Lists and details go through ``visible_to``; writes call the actions."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.api import ScopedViewSetMixin
from lianxin.network.actions import (
    do_change_equipment_status,
    do_create_department,
    do_create_institution,
    do_register_equipment,
    do_update_institution,
)
from lianxin.network.models import (
    Agreement,
    AgreementKind,
    Capability,
    CapabilityKind,
    CentreType,
    Community,
    Department,
    DepartmentKind,
    Equipment,
    EquipmentStatus,
    Institution,
    Tier,
)


def _ref(source: str) -> serializers.UUIDField:
    return serializers.UUIDField(source=f"{source}.external_id", read_only=True, allow_null=True)


def _name(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.name", read_only=True, allow_null=True)


class CommunitySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    lead = _ref("lead")
    lead_name = _name("lead")

    class Meta:
        model = Community
        fields = ["id", "name", "kind", "lead", "lead_name", "division_code", "established_on"]


class MemberSerializer(serializers.Serializer):
    type = serializers.SerializerMethodField()
    id = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()

    def get_type(self, member) -> str:
        return "institution" if member.member_institution_id else "community"

    def _target(self, member):
        return member.member_institution or member.member_community

    def get_id(self, member) -> str:
        return str(self._target(member).external_id)

    def get_name(self, member) -> str:
        return self._target(member).name


class CommunityDetailSerializer(CommunitySerializer):
    members = MemberSerializer(many=True, read_only=True)

    class Meta(CommunitySerializer.Meta):
        fields = [*CommunitySerializer.Meta.fields, "description", "members"]


class CommunityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Communities (医共体 / 医联体) of the user and those containing them; detail lists members."""

    queryset = Community.objects.select_related("lead")
    filterset_fields = ["kind"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "members__member_institution", "members__member_community"
            )
        return queryset

    def get_serializer_class(self):
        return CommunityDetailSerializer if self.action == "retrieve" else CommunitySerializer


class DepartmentBriefSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "code", "kind", "centre_type"]


class InstitutionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    parent = _ref("parent")
    parent_name = _name("parent")

    class Meta:
        model = Institution
        fields = ["id", "name", "short_name", "code", "tier", "grade", "division_code"]
        fields += ["address", "latitude", "longitude", "beds", "phone", "parent", "parent_name"]
        fields += ["is_active"]


class InstitutionDetailSerializer(InstitutionSerializer):
    departments = DepartmentBriefSerializer(many=True, read_only=True)
    communities = serializers.SerializerMethodField()

    class Meta(InstitutionSerializer.Meta):
        fields = [*InstitutionSerializer.Meta.fields, "departments", "communities"]

    def get_communities(self, institution) -> list[dict]:
        return [
            {"id": str(m.community.external_id), "name": m.community.name}
            for m in institution.community_memberships.all()
        ]


class InstitutionWriteSerializer(serializers.Serializer):
    """Input shapes only; the rules are checked by the action."""

    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=64)
    tier = serializers.CharField(max_length=30)
    division_code = serializers.CharField(max_length=20)
    short_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    grade = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = serializers.CharField(max_length=400, required=False, allow_blank=True)
    latitude = serializers.CharField(max_length=20, required=False, allow_blank=True)
    longitude = serializers.CharField(max_length=20, required=False, allow_blank=True)
    beds = serializers.IntegerField(required=False, min_value=0, max_value=100_000)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    parent = serializers.UUIDField(required=False, allow_null=True)
    community = serializers.UUIDField(required=False, allow_null=True)


class InstitutionUpdateSerializer(InstitutionWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("community")
        for field in self.fields.values():
            field.required = False


class InstitutionFilter(django_filters.FilterSet):
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices)
    community = django_filters.UUIDFilter(method="filter_community")
    division = django_filters.CharFilter(method="filter_division", label="division code prefix")
    q = django_filters.CharFilter(method="filter_q", label="name, short name or code")

    class Meta:
        model = Institution
        fields = ["tier", "is_active"]

    def filter_community(self, queryset, name, value):
        return queryset.filter(community_memberships__community__external_id=value).distinct()

    def filter_division(self, queryset, name, value):
        return queryset.filter(division_code__startswith=value.strip())

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(code__iexact=value)
        )


def _visible(model_or_qs, user, public_id, field: str):
    """A related row named in input, within the user's scope; else a field error."""
    if public_id is None:
        return None
    queryset = model_or_qs.objects if isinstance(model_or_qs, type) else model_or_qs
    row = queryset.visible_to(user).filter(external_id=public_id).first()
    if row is None:
        raise serializers.ValidationError({field: [_("Not found.")]})
    return row


@extend_schema_view(
    create=extend_schema(request=InstitutionWriteSerializer, responses=InstitutionDetailSerializer),
    partial_update=extend_schema(
        request=InstitutionUpdateSerializer, responses=InstitutionDetailSerializer
    ),
)
class InstitutionViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Institutions in the user's communities (a commission: its division); detail lists
    departments and communities. Network administrators create, institution administrators edit."""

    queryset = Institution.objects.select_related("parent")
    filterset_class = InstitutionFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("departments", queryset=Department.objects.order_by("code")),
                "community_memberships__community",
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return InstitutionSerializer
        if self.action == "create":
            return InstitutionWriteSerializer
        if self.action == "partial_update":
            return InstitutionUpdateSerializer
        return InstitutionDetailSerializer

    def _detail(self, institution) -> dict:
        return InstitutionDetailSerializer(self.get_queryset().get(pk=institution.pk)).data

    def create(self, request, *args, **kwargs):
        incoming = InstitutionWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        user = request.user
        community = _visible(Community, user, data.pop("community", None), "community")
        parent = _visible(Institution, user, data.pop("parent", None), "parent")
        institution = do_create_institution(actor=user, community=community, parent=parent, **data)
        return Response(self._detail(institution), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        institution = self.get_object()
        incoming = InstitutionUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        if "parent" in data:
            data["parent"] = _visible(Institution, request.user, data["parent"], "parent")
        institution = do_update_institution(actor=request.user, institution=institution, **data)
        return Response(self._detail(institution))


class DepartmentSerializer(DepartmentBriefSerializer):
    institution = _ref("institution")
    institution_name = _name("institution")

    class Meta(DepartmentBriefSerializer.Meta):
        fields = [*DepartmentBriefSerializer.Meta.fields, "phone", "is_active"]
        fields += ["institution", "institution_name"]


class DepartmentWriteSerializer(serializers.Serializer):
    institution = serializers.UUIDField()
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=DepartmentKind.choices, default=DepartmentKind.CLINICAL)
    centre_type = serializers.ChoiceField(
        choices=CentreType.choices, required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class DepartmentFilter(django_filters.FilterSet):
    institution = django_filters.UUIDFilter(field_name="institution__external_id")
    kind = django_filters.ChoiceFilter(choices=DepartmentKind.choices)
    centre_type = django_filters.ChoiceFilter(choices=CentreType.choices)

    class Meta:
        model = Department
        fields = ["kind", "centre_type", "is_active"]


@extend_schema_view(
    create=extend_schema(request=DepartmentWriteSerializer, responses=DepartmentSerializer)
)
class DepartmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Departments and shared centres of visible institutions."""

    queryset = Department.objects.select_related("institution")
    filterset_class = DepartmentFilter

    def get_serializer_class(self):
        return DepartmentWriteSerializer if self.action == "create" else DepartmentSerializer

    def create(self, request, *args, **kwargs):
        incoming = DepartmentWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        institution = get_object_or_404(
            Institution.objects.visible_to(request.user), external_id=data.pop("institution")
        )
        department = do_create_department(actor=request.user, institution=institution, **data)
        return Response(DepartmentSerializer(department).data, status=status.HTTP_201_CREATED)


class AgreementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    party_a = _ref("party_a")
    party_a_name = _name("party_a")
    party_b = _ref("party_b")
    party_b_name = _name("party_b")
    community = _ref("community")
    community_name = _name("community")
    has_document = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = ["id", "party_a", "party_a_name", "party_b", "party_b_name", "community"]
        fields += ["community_name", "kind", "scope", "starts_on", "ends_on", "has_document"]

    def get_has_document(self, agreement) -> bool:
        return bool(agreement.document)


class AgreementFilter(django_filters.FilterSet):
    institution = django_filters.UUIDFilter(method="filter_institution")
    kind = django_filters.ChoiceFilter(choices=AgreementKind.choices)

    class Meta:
        model = Agreement
        fields = ["kind"]

    def filter_institution(self, queryset, name, value):
        return queryset.filter(Q(party_a__external_id=value) | Q(party_b__external_id=value))


class AgreementViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Cooperation agreements between two visible institutions."""

    queryset = Agreement.objects.select_related("party_a", "party_b", "community")
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter


class CapabilitySerializer(serializers.ModelSerializer):
    requires = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Capability
        fields = ["code", "name", "kind", "category", "requires", "source"]


class CapabilityViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue is reference data, the same for every signed-in user."""

    queryset = Capability.objects.prefetch_related("requires")
    serializer_class = CapabilitySerializer
    lookup_field = "code"
    filterset_fields = ["kind", "category"]


class EquipmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    institution = _ref("institution")
    institution_name = _name("institution")
    department = _ref("department")
    department_name = _name("department")
    capability = serializers.CharField(source="capability.code", read_only=True)
    capability_name = serializers.CharField(source="capability.name", read_only=True)

    class Meta:
        model = Equipment
        fields = ["id", "name", "model_name", "serial_number", "status", "installed_on"]
        fields += ["institution", "institution_name", "department", "department_name"]
        fields += ["capability", "capability_name"]


class EquipmentWriteSerializer(serializers.Serializer):
    institution = serializers.UUIDField()
    capability = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    model_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    serial_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    department = serializers.UUIDField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=EquipmentStatus.choices, default="in_use")
    installed_on = serializers.DateField(required=False, allow_null=True)


class EquipmentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EquipmentStatus.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EquipmentFilter(django_filters.FilterSet):
    institution = django_filters.UUIDFilter(field_name="institution__external_id")
    status = django_filters.ChoiceFilter(choices=EquipmentStatus.choices)
    capability = django_filters.CharFilter(field_name="capability__code")

    class Meta:
        model = Equipment
        fields = ["status"]


@extend_schema_view(
    create=extend_schema(request=EquipmentWriteSerializer, responses=EquipmentSerializer)
)
class EquipmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Equipment of visible institutions; ``POST …/status/`` marks it in use, idle or broken."""

    queryset = Equipment.objects.select_related("institution", "department", "capability")
    filterset_class = EquipmentFilter

    def get_serializer_class(self):
        if self.action == "create":
            return EquipmentWriteSerializer
        if self.action == "set_status":
            return EquipmentStatusSerializer
        return EquipmentSerializer

    def create(self, request, *args, **kwargs):
        incoming = EquipmentWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        user = request.user
        institution = get_object_or_404(
            Institution.objects.visible_to(user), external_id=data.pop("institution")
        )
        capability = Capability.objects.filter(
            code=data.pop("capability"), kind=CapabilityKind.FACILITY
        ).first()
        if capability is None:
            raise serializers.ValidationError({"capability": [_("Unknown facility capability.")]})
        department = _visible(Department, user, data.pop("department", None), "department")
        equipment = do_register_equipment(
            actor=user,
            institution=institution,
            capability=capability,
            department=department,
            **data,
        )
        return Response(self._output(equipment), status=201)

    def _output(self, equipment) -> dict:
        equipment = self.get_queryset().get(pk=equipment.pk)
        return EquipmentSerializer(equipment).data

    @extend_schema(request=EquipmentStatusSerializer, responses=EquipmentSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, *args, **kwargs):
        equipment = self.get_object()
        incoming = EquipmentStatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        do_change_equipment_status(
            actor=request.user,
            equipment=equipment,
            status=incoming.validated_data["status"],
            note=incoming.validated_data["note"],
        )
        return Response(self._output(equipment))


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("communities", CommunityViewSet, basename="community")
    router.register("institutions", InstitutionViewSet, basename="institution")
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("agreements", AgreementViewSet, basename="agreement")
    router.register("capabilities", CapabilityViewSet, basename="capability")
    router.register("equipment", EquipmentViewSet, basename="equipment")
