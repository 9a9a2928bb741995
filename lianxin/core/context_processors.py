"""Template context shared by every page: the navigation for the user's roles."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm

# (label, url name, permission needed or None for every signed-in user). Later capabilities add
# their own entries here (referrals, worklists, outreach, emergency).
NAVIGATION = [
    (_("Home"), "home", None),
    (_("Patients"), "patients:search", Perm.VIEW_PATIENT),
    (_("Patient index"), "patients:duplicates", Perm.MANAGE_PATIENT_INDEX),
    (_("Referrals"), "referrals:incoming", Perm.REQUEST_SERVICE),
    (_("Consultations"), "referrals:consultations", Perm.REQUEST_SERVICE),
    (_("Exams"), "diagnostics:orders", Perm.REQUEST_SERVICE),
    (_("Reading worklist"), "diagnostics:worklist", Perm.SIGN_REPORT),
    (_("Critical results"), "diagnostics:critical-results", Perm.VIEW_PATIENT),
    (_("Exam figures"), "diagnostics:figures", Perm.VIEW_AGGREGATES),
    (_("Outreach"), "outreach:dashboard", Perm.VIEW_REGISTRY),
    (_("Family doctors"), "primarycare:week", Perm.FAMILY_DOCTOR),
    (_("Family-doctor figures"), "primarycare:figures", Perm.VIEW_AGGREGATES),
    (_("Emergency desk"), "emergency:desk", Perm.EMERGENCY_ROUTING),
    (_("Emergency minutes saved"), "emergency:savings", Perm.VIEW_AGGREGATES),
    (_("Sterile supply"), "sterile:home", Perm.USE_STERILE),
    (_("Institutions"), "network:institution-list", Perm.VIEW_REGISTRY),
    (_("Practitioners"), "workforce:practitioner-list", Perm.VIEW_REGISTRY),
    (_("Figures"), "network:figures", Perm.VIEW_AGGREGATES),
    (_("Indicators"), "indicators:dashboard", Perm.VIEW_AGGREGATES),
    (_("Imports"), "imports:upload", Perm.IMPORT_DATA),
    (_("Audit log"), "audit-log", Perm.VIEW_AUDIT),
    (_("HL7 messages"), "interfaces:hl7-messages", Perm.MANAGE_INSTITUTION),
]


def navigation_items(request, user) -> list[dict]:
    access = access_for(user)
    items = []
    path = request.path
    for label, name, perm in NAVIGATION:
        if perm is not None and not access.has_perm(perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": label, "url": url, "name": name, "active": active})
    return items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    # Home cards render their own templates with the request, which runs the context processors
    # again: compute the navigation once per request.
    cached = getattr(request, "_lianxin_navigation", None)
    if cached is None:
        cached = {
            "nav_items": navigation_items(request, user),
            "access": access_for(user),
            "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
        }
        request._lianxin_navigation = cached
    return cached
