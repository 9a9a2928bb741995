"""Patient API: list/search (ID numbers masked), detail (audited read), register, update, and
identity management: possible matches before registering, unidentified patients, merges (made or
proposed), the review queue of likely duplicates, confirmation, refusal and unmerge. Every
identity write goes through the input forms of ``patients/inputs.py`` (the same the pages use)."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from lianxin.core.access import access_for
from lianxin.core.adapters import api_step, run_api, serializer_for
from lianxin.core.api import ScopedViewSetMixin
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.actions import (
    do_register_patient,
    do_update_patient,
    record_patient_read,
    record_patients_listed,
)
from lianxin.patients.identity_actions import queue_registration_candidates
from lianxin.patients.inputs import (
    CANDIDATE_STEPS,
    MERGE_STEPS,
    MergeIntoForm,
    RegisterUnidentifiedForm,
)
from lianxin.patients.matching import offers_for_registration
from lianxin.patients.models import (
    DuplicateCandidate,
    Patient,
    PatientIdentifier,
    PatientMerge,
    Sex,
)
from lianxin.patients.queries import looks_like_id_number, search_kind, search_patients


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
    confirm_new = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Register as a new person although possible matches were found (the pairs go to the "
            "review queue); without it such a request is a 409 listing the matches."
        ),
    )


class ProbeSerializer(serializers.Serializer):
    """What the desk knows of the person about to be registered."""

    name = serializers.CharField(max_length=40)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=24, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    mrn = serializers.CharField(max_length=40, required=False, allow_blank=True)


class EvidenceSerializer(serializers.Serializer):
    field = serializers.CharField()
    level = serializers.CharField()
    weight = serializers.FloatField()


class OfferSerializer(serializers.Serializer):
    """A possible match: in full when you may see the patient, otherwise only the evidence and
    the institutions that registered them (the name is cut to its first character)."""

    patient = serializers.UUIDField(allow_null=True)
    name = serializers.CharField()
    visible = serializers.BooleanField()
    institutions = serializers.ListField(child=serializers.CharField())
    weight = serializers.FloatField()
    probability = serializers.FloatField()
    evidence = EvidenceSerializer(many=True)


def offer_rows(offers) -> list[dict]:
    rows = []
    for offer in offers:
        patient = offer.candidate.patient
        rows.append(
            {
                "patient": patient.external_id if offer.visible else None,
                "name": patient.name if offer.visible else patient.name[:1] + "*",
                "visible": offer.visible,
                "institutions": offer.institutions,
                "weight": round(offer.candidate.weight, 2),
                "probability": round(offer.candidate.probability, 4),
                "evidence": [e.as_dict() for e in offer.candidate.evidence],
            }
        )
    return OfferSerializer(rows, many=True).data


class PossibleDuplicates(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "possible_duplicates"


class PatientMergeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    source = serializers.UUIDField(source="source.external_id", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
    target = serializers.UUIDField(source="target.external_id", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    proposed_by = serializers.CharField(source="proposed_by.__str__", read_only=True)
    proposed_for = serializers.UUIDField(source="proposed_for.external_id", read_only=True)
    moved = serializers.SerializerMethodField()

    class Meta:
        model = PatientMerge
        fields = ["id", "source", "source_name", "target", "target_name", "status", "reason"]
        fields += ["proposed_by", "proposed_for", "created_at", "decided_at", "merged_at"]
        fields += ["undone_at", "moved", "filled"]

    def get_moved(self, merge) -> dict[str, int]:
        """Rows moved per model and field."""
        return {item["ref"]: len(item["pks"]) for item in merge.moved}


class PatientSearchSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, help_text="name, pinyin initials, ID number or phone")


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
            OpenApiParameter(
                "q", str, description="name, pinyin initials or phone (ID numbers: POST search/)"
            )
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
    extra_query_params = ("q",)

    def get_serializer_class(self):
        if self.action in {"list", "search"}:
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
        elif self.action == "search":
            queryset = search_patients(queryset, str(self.request.data.get("q") or ""))
        return queryset

    def _listed(self, request, q: str) -> Response:
        """One page of patients, audited as a read of the rows it shows."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        record_patients_listed(
            actor=request.user, patients=list(page), channel="api", search=search_kind(q)
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def list(self, request, *args, **kwargs):
        q = request.query_params.get("q", "")
        if looks_like_id_number(q):
            raise serializers.ValidationError(
                {
                    "q": [
                        _(
                            "An ID number is never sent in a URL; POST it to "
                            '/api/patients/search/ as {"q": "…"}.'
                        )
                    ]
                }
            )
        return self._listed(request, q)

    @extend_schema(request=PatientSearchSerializer, responses=PatientListSerializer(many=True))
    @action(detail=False, methods=["post"])
    def search(self, request, *args, **kwargs):
        """Search by name, initials, phone or ID number with the text in the body, not the URL."""
        incoming = PatientSearchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return self._listed(request, incoming.validated_data["q"])

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
        institution = self._institution(data.get("institution"))
        offers = self._offers(data)
        if offers and not data.get("confirm_new"):
            error = PossibleDuplicates(
                {
                    "detail": _(
                        "Possibly already registered: check the matches, or send confirm_new "
                        "to register a new person."
                    ),
                    "code": "possible_duplicates",
                    "candidates": offer_rows(offers),
                }
            )
            raise error
        patient, created = do_register_patient(
            actor=request.user,
            institution=institution,
            name=data.get("name", ""),
            sex=data.get("sex", ""),
            birth_date=data.get("birth_date"),
            id_number=data.get("id_number") or None,
            phone=data.get("phone", ""),
            address=data.get("address", ""),
            mrn=data.get("mrn") or None,
        )
        if created and offers:
            queue_registration_candidates(patient, [offer.candidate for offer in offers])
        patient = Patient.objects.prefetch_related("identifiers__institution").get(pk=patient.pk)
        return Response(
            PatientDetailSerializer(patient).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _offers(self, data) -> list:
        return offers_for_registration(
            self.request.user,
            name=data.get("name", ""),
            sex=data.get("sex", ""),
            birth_date=data.get("birth_date"),
            id_number=data.get("id_number") or None,
            phone=data.get("phone", ""),
            address=data.get("address", ""),
            mrn=data.get("mrn") or None,
        )

    @extend_schema(request=ProbeSerializer, responses=OfferSerializer(many=True))
    @action(detail=False, methods=["post"])
    def candidates(self, request, *args, **kwargs):
        """Possible matches of a person before registering them, best first, with each
        field's evidence (the ID number goes in the body, never in a URL)."""
        if not access_for(request.user).has_perm(Perm.REGISTER_PATIENT):
            raise NotAllowed(_("You may not register patients."))
        incoming = ProbeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return Response(offer_rows(self._offers(incoming.validated_data)))

    @extend_schema(
        request=serializer_for(RegisterUnidentifiedForm), responses=PatientDetailSerializer
    )
    @action(detail=False, methods=["post"])
    def unidentified(self, request, *args, **kwargs):
        """Register an unidentified patient (无名氏) in one step; usable at once."""
        patient = run_api(RegisterUnidentifiedForm, request)
        patient = Patient.objects.prefetch_related("identifiers__institution").get(pk=patient.pk)
        return Response(PatientDetailSerializer(patient).data, status=status.HTTP_201_CREATED)

    merge = api_step(
        MergeIntoForm,
        name="merge",
        respond=lambda viewset, patient, merge: Response(PatientMergeSerializer(merge).data),
        response_serializer=PatientMergeSerializer,
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


class CandidatePatientSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "name", "sex", "birth_date", "identifiers"]


class DuplicateCandidateSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="external_id", read_only=True)
    first = CandidatePatientSerializer(read_only=True)
    second = CandidatePatientSerializer(read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = DuplicateCandidate
        fields = ["id", "first", "second", "score", "probability", "evidence", "source"]
        fields += ["status", "created_at", "reviewed_at"]


def _candidate_step(name: str):
    def respond(viewset, candidate, result):
        if isinstance(result, PatientMerge):
            return Response(PatientMergeSerializer(result).data)
        return Response(DuplicateCandidateSerializer(viewset.get_object()).data)

    return api_step(CANDIDATE_STEPS[name], name=name, respond=respond)


class DuplicateCandidateFilter(django_filters.FilterSet):
    class Meta:
        model = DuplicateCandidate
        fields = ["status", "source"]


class DuplicateCandidateViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The MPI administrators' review queue: likely duplicates best first, each field's evidence;
    ``merge`` (keeping the first or second) and ``dismiss`` are the page's own steps."""

    queryset = DuplicateCandidate.objects.prefetch_related(
        "first__identifiers__institution", "second__identifiers__institution"
    ).order_by("-score", "id")
    serializer_class = DuplicateCandidateSerializer
    filterset_class = DuplicateCandidateFilter

    merge = _candidate_step("merge")
    dismiss = _candidate_step("dismiss")


def _merge_step(name: str):
    return api_step(
        MERGE_STEPS[name],
        name=name,
        respond=lambda viewset, merge, result: Response(
            PatientMergeSerializer(viewset.get_object()).data
        ),
        response_serializer=PatientMergeSerializer,
    )


class PatientMergeFilter(django_filters.FilterSet):
    class Meta:
        model = PatientMerge
        fields = ["status"]


class PatientMergeViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Merges the MPI administrator can see, newest first: a proposed one is confirmed or
    declined by the other side; a completed one can be undone (unmerge)."""

    queryset = PatientMerge.objects.select_related(
        "source", "target", "proposed_by", "proposed_for"
    ).order_by("-created_at")
    serializer_class = PatientMergeSerializer
    filterset_class = PatientMergeFilter

    confirm = _merge_step("confirm")
    reject = _merge_step("reject")
    unmerge = _merge_step("unmerge")


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
    router.register("patients", PatientViewSet, basename="patient")
    router.register("patient-duplicates", DuplicateCandidateViewSet, basename="patient-duplicate")
    router.register("patient-merges", PatientMergeViewSet, basename="patient-merge")
