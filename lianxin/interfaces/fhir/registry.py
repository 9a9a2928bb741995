"""Which FHIR resource types the façade serves, where their rows come from, and how they search.

A resource type is served from one or more *sources*. Each source is a Django model whose
queryset can scope itself (``visible_to(user)``), a function that turns one row into an
``fhir.resources.R4B`` model, and the search parameters it understands. A type with several
sources reads the id from each in turn and searches them one after another, so another app can
add rows to an existing type without touching this one: the outreach app's postings become
``PractitionerRole``s next to the primary posts by registering a second source::

    register_resource(
        "PractitionerRole",
        source="posting",
        queryset=lambda: Posting.objects.select_related(...),
        to_fhir=posting_to_role,          # built with resources.practitioner.practitioner_role
        search_params=[practitioner_param, organization_param, specialty_param],
    )

The CapabilityStatement at ``/fhir/metadata`` is built from this registry, so a registered type
is advertised with exactly the parameters it answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q, QuerySet
from fhir.resources.R4B.resource import Resource

from lianxin.interfaces.fhir.search import SearchError, parse_ids

ReadMode = str  # "read" or "search"


@dataclass(frozen=True)
class BuildContext:
    """What a ``to_fhir`` function may need besides the row."""

    base_url: str  # ends with "/", e.g. "https://host/fhir/"
    mode: ReadMode  # "read": the audited full record; "search": an entry of a result list
    user: Any = None

    def url(self, resource_type: str, public_id: Any) -> str:
        return f"{self.base_url}{resource_type}/{public_id}"


@dataclass(frozen=True)
class SearchParam:
    """One search parameter of one source.

    ``to_q(values, modifier)`` gets the comma-separated alternatives of one occurrence (FHIR's OR)
    and returns a ``Q`` on the source's model; separate occurrences are ANDed by the caller. It
    raises ``SearchError`` for a value it cannot understand (a 400, never a 500). Multi-valued
    relations should be matched with ``pk__in=<subquery>`` so that a row is never listed twice.
    """

    name: str
    type: str  # FHIR SearchParamType: string, token, date, reference, ...
    documentation: str
    to_q: Callable[[list[str], str | None], Q]
    modifiers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResourceSource:
    key: str
    queryset: Callable[[], QuerySet]
    to_fhir: Callable[[Any, BuildContext], Resource]
    search_params: dict[str, SearchParam]
    ordering: tuple[str, ...] = ("pk",)
    on_read: Callable[[Any, Any], None] | None = None
    on_search: Callable[[Any, list[Any], list[str]], None] | None = None

    def scoped(self, user: Any) -> QuerySet:
        """The rows this user may see; a source cannot opt out of the access model."""
        queryset = self.queryset()
        if not hasattr(queryset, "visible_to"):
            raise TypeError(f"FHIR source {self.key!r} must read a ScopedQuerySet")
        return queryset.visible_to(user)


@dataclass
class ResourceType:
    name: str
    documentation: str = ""
    sources: list[ResourceSource] = field(default_factory=list)

    @property
    def search_params(self) -> dict[str, SearchParam]:
        """Every parameter some source answers; the first source's definition documents it."""
        params: dict[str, SearchParam] = {}
        for source in self.sources:
            for name, param in source.search_params.items():
                params.setdefault(name, param)
        return params


_REGISTRY: dict[str, ResourceType] = {}


def _id_param() -> SearchParam:
    def to_q(values: list[str], modifier: str | None) -> Q:
        return Q(external_id__in=parse_ids(values, "_id"))

    return SearchParam("_id", "token", "The resource id (a UUID).", to_q)


def register_resource(
    type_name: str,
    *,
    queryset: Callable[[], QuerySet],
    to_fhir: Callable[[Any, BuildContext], Resource],
    search_params: Iterable[SearchParam] = (),
    source: str = "default",
    ordering: Sequence[str] = ("pk",),
    on_read: Callable[[Any, Any], None] | None = None,
    on_search: Callable[[Any, list[Any], list[str]], None] | None = None,
    documentation: str = "",
) -> ResourceType:
    """Serve ``type_name`` (also) from the rows of ``queryset``; ``_id`` comes for free.

    ``queryset`` returns an unscoped queryset with its ``select_related``/``prefetch_related``
    set so that ``to_fhir`` needs no further query; the registry applies ``visible_to(user)``.
    ``on_read(user, row)`` runs after a read (e.g. the patient read audit) and
    ``on_search(user, rows, parameter_names)`` once per result page.
    """
    rtype = _REGISTRY.setdefault(type_name, ResourceType(type_name))
    if documentation:
        rtype.documentation = documentation
    if any(existing.key == source for existing in rtype.sources):
        raise ValueError(f"{type_name} already has a source named {source!r}")
    params = {"_id": _id_param()}
    params.update({param.name: param for param in search_params})
    rtype.sources.append(
        ResourceSource(
            key=source,
            queryset=queryset,
            to_fhir=to_fhir,
            search_params=params,
            ordering=tuple(ordering),
            on_read=on_read,
            on_search=on_search,
        )
    )
    return rtype


def unregister_source(type_name: str, source: str) -> None:
    """Remove one source (tests that register a temporary one clean up with this)."""
    rtype = _REGISTRY.get(type_name)
    if rtype is None:
        return
    rtype.sources = [existing for existing in rtype.sources if existing.key != source]
    if not rtype.sources:
        del _REGISTRY[type_name]


def get_type(type_name: str) -> ResourceType | None:
    return _REGISTRY.get(type_name)


def resource_types() -> list[ResourceType]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def find_row(rtype: ResourceType, user: Any, public_id: str) -> tuple[ResourceSource, Model] | None:
    """The row behind ``<Type>/<id>`` that the user may see, and the source it came from."""
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    for source in rtype.sources:
        row = source.scoped(user).filter(external_id=key).first()
        if row is not None:
            return source, row
    return None


@dataclass
class SearchResult:
    total: int
    rows: list[tuple[ResourceSource, Any]]


def run_search(
    rtype: ResourceType,
    user: Any,
    criteria: list[tuple[str, str | None, list[str]]],
    *,
    offset: int,
    count: int,
) -> SearchResult:
    """Filter every source by the criteria (AND of occurrences) and cut one page across them.

    A source that does not answer a parameter used in the search cannot match it and
    contributes no rows.
    """
    filtered: list[tuple[ResourceSource, QuerySet]] = []
    for source in rtype.sources:
        queryset = source.scoped(user)
        for name, modifier, values in criteria:
            param = source.search_params.get(name)
            if param is None:
                queryset = queryset.none()
                break
            if modifier is not None and modifier not in param.modifiers:
                raise SearchError(f"Search parameter {name} does not support :{modifier}.")
            queryset = queryset.filter(param.to_q(values, modifier))
        filtered.append((source, queryset.order_by(*source.ordering)))
    counts = [queryset.count() for _, queryset in filtered]
    rows: list[tuple[ResourceSource, Any]] = []
    skip, need = offset, count
    for (source, queryset), size in zip(filtered, counts, strict=True):
        if need <= 0:
            break
        if skip >= size:
            skip -= size
            continue
        chunk = list(queryset[skip : skip + need])
        rows.extend((source, row) for row in chunk)
        need -= len(chunk)
        skip = 0
    return SearchResult(total=sum(counts), rows=rows)
