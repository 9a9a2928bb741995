"""The emergency API: destination advice for ambulance dispatch systems, and green-channel
cases. A question is read by the same ``inputs.parse_question`` as the desk page; cases are
opened and stepped through the same input forms (``inputs.OpenCaseForm``, ``inputs.STEPS``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from lianxin.core.adapters import api_step, run_api, serializer_for
from lianxin.core.api import ScopedViewSetMixin
from lianxin.emergency import inputs, rules
from lianxin.emergency.advice import Advice, advise
from lianxin.emergency.models import GreenChannelCase, RoadNetwork


def _option(result: Advice, option, with_route: bool) -> dict[str, Any]:
    out = {
        "site": str(option.site.external_id),
        "name": option.site.name,
        "treatment": option.treatment.capability,
        "treatment_name": str(option.treatment.name),
        "minutes_to_treatment": round(option.minutes, 1),
        "travel_minutes": round(option.travel_minutes, 1),
        "door_to_treatment_minutes": option.treatment.door_minutes,
        "reasons": [str(r) for r in option.reasons],
        "lacks": list(option.partial),
        "stationed_expert": (
            {
                "name": option.credited.practitioner_name,
                "title": option.credited.title,
                "posting_ends_on": option.credited.posting_ends_on,
            }
            if option.credited
            else None
        ),
    }
    if with_route:
        out["route"] = [[round(a, 6), round(b, 6)] for a, b in result.route(option)]
    return out


def advice_json(result: Advice) -> dict[str, Any]:
    return {
        "condition": result.condition.code,
        "condition_name": str(result.condition.name),
        "at": result.at,
        "origin": {
            "lat": result.origin.lat,
            "lon": result.origin.lon,
            "label": result.origin.label,
        },
        "estimate": result.estimate,
        "snap_metres": round(result.snap_metres, 1) if result.snap_metres is not None else None,
        "notes": [str(n) for n in result.notes],
        "advised": _option(result, result.advised, True) if result.advised else None,
        "alternatives": [_option(result, o, False) for o in result.options[1:]],
        "plans": [
            {
                "kind": p.kind,
                "text": str(p.text),
                "first": str(p.first.site.external_id),
                "first_minutes": round(p.first.minutes, 1),
                "then": str(p.then.site.external_id) if p.then else None,
                "then_minutes": round(p.then_minutes, 1) if p.then_minutes else None,
            }
            for p in result.plans
        ],
        "missing": [str(m) for m in result.missing],
        "default_destination": _option(result, result.default, False) if result.default else None,
        "minutes_saved": round(result.minutes_saved, 1)
        if result.minutes_saved is not None
        else None,
    }


PLACE_PARAMETERS = [
    OpenApiParameter(
        "condition",
        OpenApiTypes.STR,
        required=True,
        description="stemi, stroke, severe_trauma, obstetric_haemorrhage, paediatric",
    ),
    OpenApiParameter("village", OpenApiTypes.UUID, description="a village clinic's public id"),
    OpenApiParameter("lat", OpenApiTypes.NUMBER),
    OpenApiParameter("lon", OpenApiTypes.NUMBER),
    OpenApiParameter("patient", OpenApiTypes.UUID, description="a registered patient's village"),
    OpenApiParameter("q", OpenApiTypes.STR, description="village name or pinyin (one match)"),
    OpenApiParameter("at", OpenApiTypes.DATETIME, description="default: now"),
]


def _ask(request, data) -> Advice:
    inputs.require_desk(request.user)
    question = inputs.parse_question(request.user, data)
    return advise(
        question.origin,
        question.condition,
        networks=inputs.networks_for(request.user),
        at=question.at,
        among=inputs.registry_reach(request.user),
    )


class AdviceViewSet(viewsets.ViewSet):
    """Where can this patient be treated soonest, now."""

    @extend_schema(parameters=PLACE_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def list(self, request):
        return Response(advice_json(_ask(request, request.query_params)))


class CaseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    advised = serializers.CharField(source="advised.name", read_only=True, allow_null=True)
    chosen = serializers.CharField(source="chosen.name", read_only=True, allow_null=True)
    default_destination = serializers.CharField(
        source="default_destination.name", read_only=True, allow_null=True
    )
    credited_practitioner = serializers.CharField(
        source="credited_practitioner.name", read_only=True, allow_null=True
    )
    patient = serializers.UUIDField(source="patient.external_id", read_only=True, allow_null=True)

    class Meta:
        model = GreenChannelCase
        fields = [
            "id",
            "condition",
            "capability",
            "place",
            "latitude",
            "longitude",
            "is_estimate",
            "advised",
            "advised_minutes",
            "default_destination",
            "default_minutes",
            "chosen",
            "chosen_minutes",
            "choice_reason",
            "credited_practitioner",
            "minutes_saved",
            "patient",
            "patient_description",
            "onset_at",
            "call_at",
            "departure_at",
            "arrival_at",
            "treatment_at",
        ]
        read_only_fields = fields


def _case_step(name: str):
    """The API action of one case step, over the same input form as its page view."""
    return api_step(
        inputs.STEPS[name],
        name=name,
        respond=lambda viewset, case, result: Response(
            CaseSerializer(viewset.get_queryset().get(pk=case.pk)).data
        ),
        response_serializer=CaseSerializer,
    )


class CaseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Green-channel cases: open one from an advice question (the same input as the desk's
    form), read them, and record their steps (time, patient, referral)."""

    serializer_class = CaseSerializer
    queryset = GreenChannelCase.objects.select_related(
        "advised", "chosen", "default_destination", "credited_practitioner", "patient"
    )

    @extend_schema(request=serializer_for(inputs.OpenCaseForm), responses=CaseSerializer)
    def create(self, request):
        case = run_api(inputs.OpenCaseForm, request)
        return Response(
            CaseSerializer(self.get_queryset().get(pk=case.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    time = _case_step("time")
    patient = _case_step("patient")
    referral = _case_step("referral")


class RoadNetworkSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    community = serializers.CharField(source="community.name", read_only=True)
    speeds = serializers.SerializerMethodField(
        help_text="km/h by road class: the table's, and this county's where it overrides it"
    )

    class Meta:
        model = RoadNetwork
        fields = [
            "id",
            "community",
            "source_name",
            "licence",
            "imported_at",
            "nodes",
            "edges",
            "oneway_segments",
            "status",
            "progress",
            "table_version",
            "built_at",
            "build_seconds",
            "sites",
            "sites_off_network",
            "speed_overrides",
            "speeds",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_speeds(self, network: RoadNetwork) -> dict[str, dict[str, Any]]:
        own = network.speed_overrides or {}
        return {
            road: {
                "name": rules.ROAD_CLASS_NAMES.get(road, road),
                "default_kmh": kmh,
                "county_kmh": own.get(road),
            }
            for road, kmh in rules.ROAD_SPEEDS_KMH.items()
        }


def _network_step(name: str):
    """The API action of one road-network step, over the same input form as its page."""
    return api_step(
        inputs.NETWORK_STEPS[name],
        name=name,
        respond=lambda viewset, network, result: Response(
            RoadNetworkSerializer(viewset.get_queryset().get(pk=network.pk)).data
        ),
        response_serializer=RoadNetworkSerializer,
    )


class RoadNetworkViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The community's road network and its travel-time table: its state, the county's speeds
    by road class (set them: POST speeds/, which rebuilds the table), a rebuild."""

    serializer_class = RoadNetworkSerializer
    queryset = (
        RoadNetwork.objects.defer("graph_data", "table_data")
        .select_related("community")
        .order_by("pk")
    )

    speeds = _network_step("speeds")
    rebuild = _network_step("rebuild")


def routes(router) -> None:
    router.register("emergency/advice", AdviceViewSet, basename="emergency-advice")
    router.register("emergency/cases", CaseViewSet, basename="emergency-case")
    router.register("emergency/networks", RoadNetworkViewSet, basename="emergency-network")
