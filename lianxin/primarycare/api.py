"""The family-doctor API: contracts (sign, renew, terminate, record a key population, record a
follow-up — the same input forms as the pages), the week list and the figures (aggregates).

Lists and details go through ``visible_to``; an id outside the scope is a 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.access import access_for
from lianxin.core.adapters import api_step, run_api, serializer_for
from lianxin.core.api import ScopedViewSetMixin
from lianxin.core.inputs import resolve
from lianxin.core.permissions import Perm
from lianxin.patients.models import Patient
from lianxin.primarycare import figures, queries
from lianxin.primarycare.inputs import (
    CONTRACT_STEPS,
    TEAM_STEPS,
    CreateTeamForm,
    RecordVisitForm,
    SignContractForm,
)
from lianxin.primarycare.models import Contract, FollowUpPlan, Team, TeamMember, Visit


def _ref(source: str) -> serializers.UUIDField:
    return serializers.UUIDField(source=f"{source}.external_id", read_only=True, allow_null=True)


class ContractSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient = _ref("patient")
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    team = _ref("team")
    team_name = serializers.CharField(source="team.name", read_only=True)
    doctor = serializers.CharField(source="doctor.name", read_only=True)
    village = serializers.CharField(source="village.name", read_only=True, allow_null=True)
    packages = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Contract
        fields = [
            "id",
            "patient",
            "patient_name",
            "team",
            "team_name",
            "doctor",
            "village",
            "packages",
            "fee_total",
            "starts_on",
            "ends_on",
            "status",
            "consent_method",
            "consent_by",
            "consent_at",
            "terminated_on",
            "termination_reason",
            "termination_note",
        ]


class PlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient = _ref("patient")
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    contract = _ref("contract")
    referral = _ref("referral")
    village = serializers.CharField(source="performer_institution.name", read_only=True)

    class Meta:
        model = FollowUpPlan
        fields = [
            "id",
            "patient",
            "patient_name",
            "contract",
            "referral",
            "programme",
            "village",
            "next_due_on",
            "last_visit_on",
            "last_control",
            "escalation_level",
        ]


class VisitSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    contract = _ref("contract")
    referral = _ref("referral")
    assessments = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "contract",
            "visited_at",
            "mode",
            "systolic",
            "diastolic",
            "heart_rate",
            "glucose",
            "weight_kg",
            "triggers",
            "referral",
            "assessments",
        ]

    def get_assessments(self, visit: Visit) -> list[dict]:
        return [
            {"programme": a.plan.programme, "control": a.control, "next_due_on": a.next_due_on}
            for a in visit.assessments.select_related("plan")
        ]


def _contract_response(viewset, target, result):
    contract = result if isinstance(result, Contract) else target
    contract.refresh_from_db()
    return Response(ContractSerializer(contract).data)


class ContractViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Contracts of the teams the user acts for."""

    queryset = Contract.objects.select_related(
        "patient", "team", "doctor", "village"
    ).prefetch_related("packages")
    serializer_class = ContractSerializer

    def get_queryset(self):
        if not access_for(self.request.user).has_perm(Perm.FAMILY_DOCTOR):
            raise PermissionDenied(_("Your role does not work with family-doctor contracts."))
        queryset = super().get_queryset()
        if self.request.query_params.get("patient"):
            patient = resolve(Patient, self.request.user, self.request.query_params["patient"])
            queryset = queryset.filter(patient=patient)
        return queryset.order_by("-starts_on", "-id")

    @extend_schema(request=serializer_for(SignContractForm), responses=ContractSerializer)
    def create(self, request, *args, **kwargs):
        """Sign: the body names the patient, team, doctor (team member id) and packages."""
        self.get_queryset()
        patient = resolve(Patient, request.user, request.data.get("patient"), field="patient")
        contract = run_api(SignContractForm, request, target=patient)
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)

    renew = api_step(
        CONTRACT_STEPS["renew"],
        name="renew",
        respond=_contract_response,
        response_serializer=ContractSerializer,
    )
    terminate = api_step(
        CONTRACT_STEPS["terminate"],
        name="terminate",
        respond=_contract_response,
        response_serializer=ContractSerializer,
    )
    key_population = api_step(
        CONTRACT_STEPS["key_population"],
        name="key_population",
        respond=_contract_response,
        response_serializer=ContractSerializer,
    )
    visits = api_step(
        RecordVisitForm,
        name="visits",
        respond=lambda viewset, target, visit: Response(
            VisitSerializer(visit).data, status=status.HTTP_201_CREATED
        ),
        response_serializer=VisitSerializer,
    )


class TeamMemberSerializer(serializers.ModelSerializer):
    practitioner = _ref("practitioner")
    name = serializers.CharField(source="practitioner.name", read_only=True)
    institution = serializers.CharField(source="practitioner.institution.name", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["practitioner", "name", "role", "institution"]


class TeamSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    institution = _ref("institution")
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    members = TeamMemberSerializer(many=True, read_only=True)
    villages = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "institution",
            "institution_name",
            "is_active",
            "members",
            "villages",
        ]


def _team_response(viewset, target, result):
    team = (
        Team.objects.prefetch_related("members__practitioner__institution", "villages")
        .select_related("institution")
        .get(pk=target.pk)
    )
    return Response(TeamSerializer(team).data)


def _team_step(name: str):
    return api_step(
        TEAM_STEPS[name],
        name=name,
        url_path=name.replace("_", "-"),
        respond=_team_response,
        response_serializer=TeamSerializer,
    )


class TeamViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Family-doctor teams (the registry's: every member of the community sees them); set up
    and changed by the centre's or the network's administrator."""

    queryset = Team.objects.select_related("institution").prefetch_related(
        "members__practitioner__institution", "villages"
    )
    serializer_class = TeamSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("institution__name", "name")

    @extend_schema(request=serializer_for(CreateTeamForm), responses=TeamSerializer)
    def create(self, request, *args, **kwargs):
        """Set up a team: the body names the centre, the name, the lead and the villages."""
        team = run_api(CreateTeamForm, request)
        return Response(_team_response(self, team, team).data, status=status.HTTP_201_CREATED)

    add_member = _team_step("add_member")
    remove_member = _team_step("remove_member")
    add_village = _team_step("add_village")
    remove_village = _team_step("remove_village")


class WeekViewSet(viewsets.ViewSet):
    """This week's list: overdue, due, newly discharged (the page's rows)."""

    @extend_schema(responses=PlanSerializer(many=True))
    def list(self, request):
        if not access_for(request.user).has_perm(Perm.FAMILY_DOCTOR):
            raise PermissionDenied(_("Your role does not work with family-doctor contracts."))
        week = queries.week(request.user)
        return Response(
            {
                "from": week.today,
                "to": week.ends_on,
                "overdue": PlanSerializer(week.overdue, many=True).data,
                "due": PlanSerializer(week.due, many=True).data,
                "discharged": PlanSerializer(week.discharged, many=True).data,
            }
        )


class FiguresViewSet(viewsets.ViewSet):
    """The figures by team, township and month (aggregates only), with the counting rules."""

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT)], responses=OpenApiTypes.OBJECT
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        access = access_for(request.user)
        if not (access.has_perm(Perm.VIEW_AGGREGATES) or access.has_perm(Perm.FAMILY_DOCTOR)):
            raise PermissionDenied(_("Your role does not read the family-doctor figures."))
        try:
            year = int(request.query_params.get("year") or 0) or None
        except ValueError:
            year = None
        from django.utils import timezone

        result = figures.compute(
            figures.figure_teams(request.user).select_related("institution"),
            year or timezone.localdate().year,
        )
        from lianxin.primarycare.rules import FIGURES

        def clean(row: dict) -> dict:
            out = {k: v for k, v in row.items() if k not in ("team", "township")}
            if "team" in row:
                out["team"] = row["team"].name
            if "township" in row:
                out["township"] = row["township"].name
            return out

        return Response(
            {
                "year": result.year,
                "reference_day": result.reference_day,
                "rules": {
                    k: {
                        "name": f.name,
                        "numerator": f.numerator,
                        "denominator": f.denominator,
                        "source": f.source,
                    }
                    for k, f in FIGURES.items()
                },
                "totals": clean(result.totals),
                "by_township": [clean(r) for r in result.by_township],
                "by_team": [clean(r) for r in result.by_team],
                "by_month": result.by_month,
            }
        )


def routes(router: DefaultRouter) -> None:
    router.register("family-doctor-contracts", ContractViewSet, basename="family-doctor-contract")
    router.register("family-doctor-teams", TeamViewSet, basename="family-doctor-team")
    router.register("family-doctor-week", WeekViewSet, basename="family-doctor-week")
    router.register("family-doctor-figures", FiguresViewSet, basename="family-doctor-figures")
