"""Reads about people that pages and the API share."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from lianxin.workforce.models import Practitioner, Title

TITLE_ORDER = {value: index for index, value in enumerate(Title.values)}


def search_practitioners(queryset: QuerySet, q: str) -> QuerySet:
    """Name, licence number, department name or specialty name contains ``q``."""
    q = (q or "").strip()
    if not q:
        return queryset
    matching = Q(name__icontains=q) | Q(licence_number__iexact=q) | Q(department__name__icontains=q)
    ids = Practitioner.objects.filter(specialties__name__icontains=q).values("id")
    return queryset.filter(matching | Q(id__in=ids))


def practitioners_by_title(queryset: QuerySet) -> list[tuple[str, list[Practitioner]]]:
    """Practitioners grouped under their title label, senior titles first."""
    groups: dict[str, list[Practitioner]] = {}
    for practitioner in queryset:
        groups.setdefault(practitioner.title, []).append(practitioner)
    labels = dict(Title.choices)
    return [
        (str(labels.get(title, title)), groups[title])
        for title in sorted(groups, key=lambda t: TITLE_ORDER.get(t, 99))
    ]
