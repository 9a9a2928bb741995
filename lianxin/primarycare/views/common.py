"""Helpers the family-doctor pages share."""

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


def require_family_doctor(request: HttpRequest) -> None:
    if not access_for(request.user).has_perm(Perm.FAMILY_DOCTOR):
        raise PermissionDenied(_("Your role does not work with family-doctor contracts."))


def run_action(request: HttpRequest, form, action: Callable[[], Any], success: str) -> Any:
    """Call an action; put its errors on the form (or the page); None when it failed."""
    try:
        result = action()
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.error(request, " ".join(exc.messages))
        return None
    except ActionError as exc:
        if form is not None:
            form.add_error(None, str(exc))
        else:
            messages.error(request, str(exc))
        return None
    messages.success(request, success)
    return result
