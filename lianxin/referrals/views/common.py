"""Helpers the referral pages share: permission gates, action error handling, choices."""

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
from lianxin.referrals import inputs


def require_workflow_role(request: HttpRequest) -> None:
    access = access_for(request.user)
    if not (
        access.is_superuser
        or access.has_perm(Perm.REQUEST_SERVICE)
        or access.has_perm(Perm.PERFORM_SERVICE)
    ):
        raise PermissionDenied(_("Your role does not take part in referrals or consultations."))


def requesting_institutions(request: HttpRequest):
    return inputs.requesting_institutions(request.user)


def care_institutions(request: HttpRequest):
    """Institutions of the user's network that take part in referrals, higher levels first."""
    return inputs.care_institutions(request.user)


departments_of = inputs.departments_of


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
