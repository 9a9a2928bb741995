"""Shared API pieces: the scoped viewset base; each app's ``routes`` registers its viewsets."""

from __future__ import annotations

from rest_framework import viewsets


class ScopedViewSetMixin:
    """Every list and detail goes through ``visible_to(user)``; outside the scope is a 404."""

    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.visible_to(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


def routes(router) -> None:
    """Core has no resources of its own on the router yet (tokens come from /api/token/)."""
