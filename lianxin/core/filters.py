"""The API's filter backend: django-filter, and a 400 for a query parameter it does not know.

Without it ``/api/patients/?search=周`` silently returns every row, and a client that misspells a
filter believes it got a filtered list. A viewset that reads parameters of its own names them in
``extra_query_params``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

ALWAYS_ALLOWED = frozenset({"page", "page_size", "format"})


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if getattr(view, "action", None) == "list":
            allowed = set(ALWAYS_ALLOWED) | set(getattr(view, "extra_query_params", ()))
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is not None:
                allowed |= set(filterset_class.base_filters)
            unknown = sorted(set(request.query_params) - allowed)
            if unknown:
                known = ", ".join(sorted(allowed)) or "—"
                raise ValidationError(
                    {
                        name: [
                            _("Unknown filter parameter. This list takes: %(known)s.")
                            % {"known": known}
                        ]
                        for name in unknown
                    }
                )
        return super().filter_queryset(request, queryset, view)
