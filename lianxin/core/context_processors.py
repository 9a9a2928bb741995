"""Template context shared by every page: the navigation for the user's roles."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm

# (label, url name, permission needed or None for every signed-in user)
NAVIGATION = [
    (_("Home"), "home", None),
    (_("Patients"), "patients:search", Perm.VIEW_PATIENT),
    (_("Institutions"), "network:institution-list", Perm.VIEW_REGISTRY),
    (_("Practitioners"), "workforce:practitioner-list", Perm.VIEW_REGISTRY),
    (_("Figures"), "network:figures", Perm.VIEW_AGGREGATES),
    (_("Audit log"), "audit-log", Perm.VIEW_AUDIT),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    access = access_for(user)
    items = []
    for label, name, perm in NAVIGATION:
        if perm is not None and not access.has_perm(perm):
            continue
        try:
            items.append({"label": label, "url": reverse(name), "name": name})
        except NoReverseMatch:
            continue
    unread = user.notifications.filter(read_at__isnull=True).count()
    return {"nav_items": items, "access": access, "unread_notifications": unread}
