"""Template helpers for the access model: show a link only where the user may follow it.

``{% load lianxin_access %}`` then ``{% if patient|visible_to:user %}<a …>{% endif %}`` — one
query per use, for detail pages; lists compute the visible set in their view instead.
``{% if user|has_perm_code:"request_service" %}`` checks a permission of ``core.permissions.Perm``.
"""

from __future__ import annotations

from typing import Any

from django import template

from lianxin.core.access import ScopedQuerySet, access_for

register = template.Library()


@register.filter
def visible_to(obj: Any, user: Any) -> bool:
    if obj is None or getattr(obj, "pk", None) is None:
        return False
    queryset = type(obj)._default_manager.all()
    if not isinstance(queryset, ScopedQuerySet):
        return False
    return queryset.visible_to(user).filter(pk=obj.pk).exists()


@register.filter
def has_perm_code(user: Any, code: str) -> bool:
    return access_for(user).has_perm(code)
