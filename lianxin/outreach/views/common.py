"""Helpers the outreach pages share: permission gates, action error handling, charts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.errors import ActionError
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


def run_action(request: HttpRequest, form, action: Callable[[], Any], success: str) -> bool:
    """Call an action; put its errors on the form (or the page) and report success."""
    try:
        action()
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.error(request, " ".join(exc.messages))
        return False
    except ActionError as exc:
        if form is not None:
            form.add_error(None, str(exc))
        else:
            messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True
