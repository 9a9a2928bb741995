"""The indicators API: the catalogue, the figures of a period and scope with their provenance,
an indicator's breakdown by institution, and the feeds (list and import)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from lianxin.indicators import queries
from lianxin.indicators.actions import community_institutions, do_import_feed, may_import
from lianxin.indicators.compute import compute
from lianxin.indicators.feeds import Context
from lianxin.indicators.fhir_feed import read_bundle
from lianxin.indicators.models import FeedFormat, FeedImport, FeedKind
from lianxin.indicators.periods import PeriodError, parse_period
from lianxin.indicators.rules import EDITIONS, Status
from lianxin.indicators.views.common import default_period

SELECTION = [
    OpenApiParameter("edition", OpenApiTypes.STR, description="2024 (default)"),
    OpenApiParameter("period", OpenApiTypes.STR, description="2026, 2026Q3 or 2026-07"),
    OpenApiParameter("community", OpenApiTypes.UUID),
    OpenApiParameter("institution", OpenApiTypes.UUID, description="a township or institution"),
]
KNOWN = {"edition", "period", "community", "institution", "format"}


def _selection(request):
    unknown = set(request.query_params) - KNOWN
    if unknown:
        raise serializers.ValidationError(
            {"detail": _("Unknown parameters: %(names)s.") % {"names": ", ".join(sorted(unknown))}}
        )
    if not queries.can_read(request.user):
        raise PermissionDenied(_("Your role does not read the indicators."))
    try:
        edition = queries.edition(request.query_params.get("edition"))
        period = parse_period(request.query_params.get("period"), default=default_period())
    except (PeriodError, queries.ScopeError) as exc:
        raise serializers.ValidationError({"detail": str(exc)}) from exc
    scope = queries.resolve_scope(
        request.user,
        request.query_params.get("community") or None,
        request.query_params.get("institution") or None,
    )
    return edition, period, scope


class FeedImportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    imported_by = serializers.CharField(source="imported_by.__str__", read_only=True)
    superseded_by = serializers.UUIDField(
        source="superseded_by.external_id", allow_null=True, read_only=True
    )

    class Meta:
        model = FeedImport
        fields = [
            "id",
            "kind",
            "format",
            "filename",
            "sha256",
            "period_start",
            "period_end",
            "rows",
            "total_count",
            "imported_by",
            "created_at",
            "superseded_at",
            "superseded_by",
            "note",
        ]


class FeedUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeedKind.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    file = serializers.FileField()
    replace = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class IndicatorViewSet(viewsets.ViewSet):
    """Read-only figures; the health commission reads them too (aggregates only)."""

    @extend_schema(parameters=[SELECTION[0]], responses=OpenApiTypes.OBJECT)
    @action(detail=False)
    def catalogue(self, request):
        if not queries.can_read(request.user):
            raise PermissionDenied(_("Your role does not read the indicators."))
        edition = EDITIONS.get(request.query_params.get("edition") or "2024")
        if edition is None:
            return Response({"detail": _("Unknown edition.")}, status=400)
        return Response(
            {
                "edition": edition.code,
                "name": edition.name,
                "citation": edition.citation,
                "note": edition.note,
                "aspects": [
                    {"code": a.code, "name": a.name, "description": a.description}
                    for a in edition.aspects
                ],
                "indicators": [
                    {
                        "code": i.code,
                        "number": i.number,
                        "aspect": i.aspect,
                        "name": i.name,
                        "status": i.status,
                        "status_label": Status.LABELS[i.status],
                        "unit": "%" if i.percent else i.unit,
                        "direction": i.direction,
                        "numerator": i.numerator,
                        "denominator": i.denominator,
                        "numerator_code": i.numerator_code,
                        "denominator_code": i.denominator_code,
                        "counting_rules": i.counting_rules,
                        "data_source": i.data_source,
                        "citation": i.citation,
                        "working_definition": i.working_definition,
                        "periods": list(i.periods),
                        "scopes": list(i.scopes),
                    }
                    for i in edition.indicators
                ],
            }
        )

    @extend_schema(parameters=SELECTION, responses=OpenApiTypes.OBJECT)
    @action(detail=False)
    def figures(self, request):
        edition, period, scope = _selection(request)
        board = queries.dashboard(scope, period, edition, with_trend=False)
        return Response(
            {
                "edition": edition.code,
                "period": str(period),
                "scope": scope.key,
                "figures": [row.figure.as_dict() for _a, rows in board.aspects for row in rows],
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="1–14"),
            *SELECTION,
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True)
    def breakdown(self, request, pk=None):
        edition, period, scope = _selection(request)
        indicator = edition.indicator(int(pk)) if str(pk).isdigit() else None
        if indicator is None:
            return Response({"detail": _("Not found.")}, status=404)
        figure = compute(indicator, period, scope)
        parts = queries.breakdown(indicator, period, scope) if indicator.compute else []

        def num(v):
            return None if v is None else str(v)

        return Response(
            {
                "figure": figure.as_dict(),
                "by_institution": [
                    {
                        "institution": str(p.institution.external_id) if p.institution else None,
                        "name": p.institution.name if p.institution else p.label,
                        "numerator": num(p.numerator),
                        "denominator": num(p.denominator),
                        "value": num(p.value),
                    }
                    for p in parts
                ],
            }
        )


class FeedViewSet(viewsets.ViewSet):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(parameters=SELECTION[2:3], responses=FeedImportSerializer(many=True))
    def list(self, request):
        _edition, _period, scope = _selection(request)
        imports = FeedImport.objects.filter(community=scope.community).select_related(
            "imported_by", "superseded_by"
        )[:500]
        return Response(FeedImportSerializer(imports, many=True).data)

    @extend_schema(
        parameters=SELECTION[2:3], request=FeedUploadSerializer, responses=OpenApiTypes.OBJECT
    )
    def create(self, request):
        _edition, _period, scope = _selection(request)
        if not may_import(request.user, scope.community):
            raise PermissionDenied(_("You may not import feeds for this community."))
        upload = FeedUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        content = data["file"].read()
        rows, fmt = None, FeedFormat.TABLE
        if data["file"].name.lower().endswith(".json"):
            fmt = FeedFormat.FHIR
            ctx = Context(
                community_institutions(scope.community), data["period_start"], data["period_end"]
            )
            report, rows = read_bundle(data["kind"], content, data["file"].name, ctx)
            if report.has_errors:
                return Response(
                    {"detail": _("Nothing was imported."), "report": report.to_dict()}, status=400
                )
        report, feed = do_import_feed(
            actor=request.user,
            community=scope.community,
            kind=data["kind"],
            data=content,
            filename=data["file"].name,
            period_start=data["period_start"],
            period_end=data["period_end"],
            replace=data["replace"],
            note=data.get("note", ""),
            fmt=fmt,
            rows=rows,
        )
        if feed is None:
            return Response(
                {"detail": _("Nothing was imported."), "report": report.to_dict()}, status=400
            )
        return Response(FeedImportSerializer(feed).data, status=status.HTTP_201_CREATED)


def routes(router) -> None:
    router.register("indicators/feeds", FeedViewSet, basename="indicator-feed")
    router.register("indicators", IndicatorViewSet, basename="indicator")
