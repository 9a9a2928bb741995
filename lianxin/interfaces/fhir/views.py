"""The FHIR REST endpoints: ``metadata``, read ``<Type>/<id>`` and search ``<Type>?params``.

DRF views, so that session and token authentication work as in the rest of the API; every answer
(errors included) is FHIR JSON, and every error an OperationOutcome.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from lianxin.interfaces.fhir.capability import capability_statement
from lianxin.interfaces.fhir.registry import (
    BuildContext,
    ResourceType,
    find_row,
    get_type,
    run_search,
)
from lianxin.interfaces.fhir.responses import JSON_FORMATS, fhir_response, outcome
from lianxin.interfaces.fhir.search import SearchError, parse_query

# FHIR's id syntax; anything else in the id position is a malformed request.
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class FhirView(APIView):
    # The FHIR façade documents itself with its CapabilityStatement (/fhir/metadata), not in the
    # REST API's OpenAPI schema.
    schema = None
    # Token first: an anonymous request then gets 401 with "WWW-Authenticate: Token".
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [FhirJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The answer is always FHIR JSON; _format is checked in ``initial``.
        return (self.renderer_classes[0](), FhirJSONRenderer.media_type)

    def initial(self, request, *args, **kwargs):
        requested = request.GET.get("_format")
        if requested is not None and requested.split(";")[0].strip() not in JSON_FORMATS:
            raise exceptions.NotAcceptable(f"_format {requested!r}: only JSON is served.")
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = outcome(401, "login", str(exc.detail))
            response["WWW-Authenticate"] = "Token"
            return response
        if isinstance(exc, exceptions.PermissionDenied):
            return outcome(403, "forbidden", str(exc.detail))
        if isinstance(exc, Http404 | exceptions.NotFound):
            return outcome(404, "not-found", str(exc) or "Not found.")
        if isinstance(exc, SearchError):
            return outcome(400, exc.code, str(exc))
        if isinstance(exc, exceptions.MethodNotAllowed):
            return outcome(405, "not-supported", str(exc.detail))
        if isinstance(exc, exceptions.NotAcceptable):
            return outcome(406, "not-supported", str(exc.detail))
        if isinstance(exc, exceptions.APIException):
            return outcome(exc.status_code, "processing", str(exc.detail))
        return super().handle_exception(exc)

    def base_url(self, request: HttpRequest) -> str:
        metadata = reverse("fhir:metadata")
        return request.build_absolute_uri(metadata[: -len("metadata")])

    def resource_type(self, name: str) -> ResourceType:
        rtype = get_type(name)
        if rtype is None:
            raise Http404(f"Resource type {name!r} is not served here.")
        return rtype


class MetadataView(FhirView):
    """The CapabilityStatement; public, as FHIR clients read it before they authenticate."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return fhir_response(capability_statement(self.base_url(request)))


class ReadView(FhirView):
    def get(self, request, resource_type: str, id: str) -> HttpResponse:
        rtype = self.resource_type(resource_type)
        if not _FHIR_ID.match(id):
            raise SearchError(f"{id!r} is not a FHIR resource id.")
        found = find_row(rtype, request.user, id)
        if found is None and rtype.name == "Patient":
            found = _merged_patient(rtype, request.user, id)
        if found is None:
            raise Http404(f"{resource_type}/{id} is not known.")
        source, row = found
        context = BuildContext(base_url=self.base_url(request), mode="read", user=request.user)
        resource = source.to_fhir(row, context)
        if source.on_read is not None:
            source.on_read(request.user, row)
        return fhir_response(resource)


class SearchView(FhirView):
    def get(self, request, resource_type: str) -> HttpResponse:
        rtype = self.resource_type(resource_type)
        lenient = "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")
        query = parse_query(request.GET, rtype.search_params, lenient=lenient)
        result = run_search(
            rtype, request.user, query.criteria, offset=query.offset, count=query.count
        )
        base = self.base_url(request)
        context = BuildContext(base_url=base, mode="search", user=request.user)
        entries = []
        for source, row in result.rows:
            resource = source.to_fhir(row, context)
            entries.append(
                {
                    "fullUrl": context.url(rtype.name, row.external_id),
                    "resource": resource,
                    "search": {"mode": "match"},
                }
            )
        names = [name for name, _, _ in query.criteria]
        for source in rtype.sources:
            rows = [row for used, row in result.rows if used is source]
            if source.on_search is not None:
                source.on_search(request.user, rows, names)
        bundle = Bundle(
            type="searchset",
            total=result.total,
            link=self._links(base, rtype, query, result.total),
            entry=entries or None,
        )
        return fhir_response(bundle)

    def _links(self, base: str, rtype: ResourceType, query, total: int) -> list[dict]:
        params: list[tuple[str, str]] = []
        for name, modifier, values in query.criteria:
            key = f"{name}:{modifier}" if modifier else name
            params.append((key, ",".join(value.replace(",", "\\,") for value in values)))

        def url(offset: int) -> str:
            page = [*params, ("_count", str(query.count)), ("_offset", str(offset))]
            return f"{base}{rtype.name}?{urlencode(page)}"

        links = [{"relation": "self", "url": url(query.offset)}]
        if query.count and query.offset + query.count < total:
            links.append({"relation": "next", "url": url(query.offset + query.count)})
        if query.offset > 0 and query.count:
            links.append({"relation": "previous", "url": url(max(query.offset - query.count, 0))})
        return links


def _merged_patient(rtype, user, id: str):
    """An old reference to a merged patient answers with the pointer to its survivor."""
    from lianxin.interfaces.fhir.resources.patient import read_merged

    merged = read_merged(user, id)
    if merged is None:
        return None
    return find_row(rtype, user, str(merged.survivor().external_id))[0], merged
