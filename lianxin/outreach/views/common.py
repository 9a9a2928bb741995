"""Helpers the outreach pages share: permission gates, action error handling, charts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm


def require_registry(request: HttpRequest) -> None:
    if not access_for(request.user).has_perm(Perm.VIEW_REGISTRY):
        raise PermissionDenied(_("Your role does not see the network."))


def may_manage(user: Any, *institution_ids: int | None) -> bool:
    """The user manages outreach at one of the institutions (as the actions require)."""
    access = access_for(user)
    return access.is_superuser or any(
        inst is not None and access.has_perm(Perm.MANAGE_OUTREACH, inst) for inst in institution_ids
    )


def is_outreach_office(user: Any) -> bool:
    access = access_for(user)
    return access.is_superuser or bool(access.institutions_with(Perm.MANAGE_OUTREACH))


def outreach_offices(request: HttpRequest) -> frozenset[int]:
    """The institutions whose outreach the user manages; 403 when there is none (a superuser
    passes with an empty set: the actions let them act anywhere)."""
    access = access_for(request.user)
    managed = access.institutions_with(Perm.MANAGE_OUTREACH)
    if not (managed or access.is_superuser):
        raise PermissionDenied(_("Your role does not manage outreach."))
    return managed
