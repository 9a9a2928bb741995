"""Helpers the diagnostics pages share: permission gates and action error handling."""

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


def require_perm(request: HttpRequest, *perms: Perm) -> None:
    access = access_for(request.user)
    if not (access.is_superuser or any(access.has_perm(p) for p in perms)):
        raise PermissionDenied(_("Your role does not take part in this."))


def run_action(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Call an action; show its error on the page or report success."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    except ActionError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True
