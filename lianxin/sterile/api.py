"""The sterile-supply API: packs with their trace, the scan of a step (the same input definition as
the scanning pages, ``forms.ScanForm``), loads, and recalls with their packs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.access import access_for
from lianxin.core.adapters import api_step, run_api, serializer_for
from lianxin.core.api import ScopedReadOnlyViewSet, ScopedViewSetMixin
from lianxin.core.permissions import Perm
from lianxin.sterile.forms import ScanForm
from lianxin.sterile.inputs import LOAD_STEPS, MACHINE_STEPS
from lianxin.sterile.models import (
    BowieDickTest,
    Machine,
    Pack,
    PackEvent,
    Recall,
    RecallItem,
    SterilisationLoad,
    WasherLoad,
)
from lianxin.sterile.views.recalls import audit_read, recall_items


def _ref(source: str) -> serializers.UUIDField:
    return serializers.UUIDField(source=f"{source}.external_id", read_only=True)


class PackSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    instrument_set = serializers.CharField(source="instrument_set.name", read_only=True)
    location = serializers.CharField(source="location.name", read_only=True)
    home = serializers.CharField(source="home.name", read_only=True)

    class Meta:
        model = Pack
        fields = [
            "id",
            "barcode",
            "instrument_set",
            "status",
            "cycle",
            "packaging",
            "location",
            "home",
            "sterilised_at",
            "expires_at",
            "recalled",
        ]


class EventSerializer(serializers.ModelSerializer):
    institution = serializers.CharField(source="institution.name", read_only=True)
    actor = serializers.CharField(read_only=True)

    class Meta:
        model = PackEvent
        fields = ["cycle", "step", "at", "institution", "actor", "procedure", "condition", "note"]


class PackViewSet(ScopedReadOnlyViewSet):
    """Packs by barcode, and one pack's trace; ``POST /scan/`` records a step."""

    queryset = Pack.objects.select_related("instrument_set", "location", "home").order_by("barcode")
    serializer_class = PackSerializer
    filterset_fields = ["status", "barcode", "recalled"]

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True)
    def trace(self, request, id=None):
        pack = self.get_object()
        events = pack.events.select_related("institution", "actor").order_by("cycle", "at", "id")
        return Response(EventSerializer(events, many=True).data)

    @extend_schema(request=serializer_for(ScanForm), responses=PackSerializer)
    @action(detail=False, methods=["post"])
    def scan(self, request):
        """Record one step for a scanned pack: the same input and rules as the scanning page."""
        access = access_for(request.user)
        if not (access.has_perm(Perm.PROCESS_STERILE) or access.has_perm(Perm.USE_STERILE)):
            raise PermissionDenied(_("Your role does not take part in this."))
        event = run_api(ScanForm, request)
        pack = Pack.objects.select_related("instrument_set", "location", "home").get(
            pk=event.pack_id
        )
        return Response(PackSerializer(pack).data, status=status.HTTP_201_CREATED)


class LoadSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    machine = serializers.CharField(source="machine.name", read_only=True)

    class Meta:
        model = SterilisationLoad
        fields = [
            "id",
            "machine",
            "cycle_number",
            "program",
            "status",
            "started_at",
            "finished_at",
            "temperature",
            "minutes",
            "pressure_kpa",
            "physical_ok",
            "chemical_class",
            "chemical_ok",
            "has_implant",
            "bi_reason",
            "bi_result",
            "released_at",
            "emergency_reason",
        ]


def _load_done(viewset, load, result):
    return Response(LoadSerializer(result).data)


def _load_step(name: str):
    """The API action of one load step, over the same input form as its page view."""
    return api_step(
        LOAD_STEPS[name], name=name, respond=_load_done, response_serializer=LoadSerializer
    )


class LoadViewSet(ScopedReadOnlyViewSet):
    """Steriliser loads; ``POST …/finish/``, ``…/release/``, ``…/bi/`` are the load's steps."""

    queryset = SterilisationLoad.objects.select_related("machine__centre", "centre").order_by(
        "-started_at"
    )
    serializer_class = LoadSerializer
    filterset_fields = ["status", "bi_result"]

    finish = _load_step("finish")
    release = _load_step("release")
    bi = _load_step("bi")


class MachineSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)

    class Meta:
        model = Machine
        fields = ["id", "name", "kind", "method"]


class WasherLoadSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)

    class Meta:
        model = WasherLoad
        fields = ["id", "program", "started_at", "temperature", "minutes", "a0", "passed",
                  "problems"]  # fmt: skip


class BowieDickSerializer(serializers.ModelSerializer):
    class Meta:
        model = BowieDickTest
        fields = ["tested_at", "passed", "note"]


def _machine_done(serializer):
    def respond(viewset, machine, result):
        return Response(serializer(result).data, status=status.HTTP_201_CREATED)

    return respond


_MACHINE_ANSWERS = {
    "bowie_dick": BowieDickSerializer,
    "washer_run": WasherLoadSerializer,
    "open_load": LoadSerializer,
}


def _machine_step(name: str):
    """The API action of one machine step (what it records is created: 201)."""
    answer = _MACHINE_ANSWERS[name]
    return api_step(
        MACHINE_STEPS[name], name=name, respond=_machine_done(answer), response_serializer=answer
    )


class MachineViewSet(ScopedReadOnlyViewSet):
    """The centre's washers and sterilisers; ``POST …/bowie-dick/``, ``…/washer-run/``,
    ``…/open-load/`` are the machine's steps."""

    queryset = Machine.objects.select_related("centre", "equipment").order_by("name")
    serializer_class = MachineSerializer
    filterset_fields = ["kind"]

    bowie_dick = _machine_step("bowie_dick")
    washer_run = _machine_step("washer_run")
    open_load = _machine_step("open_load")


class RecallItemSerializer(serializers.ModelSerializer):
    pack = serializers.CharField(source="pack.barcode", read_only=True)
    institution = serializers.CharField(source="institution.name", read_only=True)
    patient = serializers.SerializerMethodField()
    procedure = serializers.CharField(source="use.procedure", read_only=True, default="")
    surgeon = serializers.CharField(source="use.surgeon.name", read_only=True, default="")

    class Meta:
        model = RecallItem
        fields = [
            "pack",
            "cycle",
            "whereabouts",
            "institution",
            "patient",
            "procedure",
            "surgeon",
            "accounted_at",
            "accounted_how",
        ]
        read_only_fields = fields

    def get_patient(self, item: RecallItem) -> str:
        return item.use.patient.name if item.use is not None else ""


class RecallSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    loads = serializers.SerializerMethodField()

    class Meta:
        model = Recall
        fields = ["id", "reason", "source", "opened_at", "closed_at", "loads"]

    def get_loads(self, recall: Recall) -> list[str]:
        return [str(x.external_id) for x in recall.loads.all()]


class RecallViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):  # fmt: skip
    """Recalls; ``/items/`` lists every pack (a branch its own) with the patient it touched."""

    queryset = Recall.objects.prefetch_related("loads").order_by("-opened_at")
    serializer_class = RecallSerializer

    @extend_schema(responses=RecallItemSerializer(many=True))
    @action(detail=True)
    def items(self, request, id=None):
        recall = self.get_object()
        items = recall_items(recall, request.user)
        audit_read(request.user, recall, items, "api")
        return Response(RecallItemSerializer(items, many=True).data)


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("sterile/packs", PackViewSet, basename="sterile-pack")
    router.register("sterile/loads", LoadViewSet, basename="sterile-load")
    router.register("sterile/machines", MachineViewSet, basename="sterile-machine")
    router.register("sterile/recalls", RecallViewSet, basename="sterile-recall")
