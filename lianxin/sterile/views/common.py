"""What the sterile pages share: the permission gate, the user's centre, action error handling."""

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
from lianxin.network.models import CentreType, Department


def require_perm(request: HttpRequest, *perms: Perm) -> None:
    access = access_for(request.user)
    if not (access.is_superuser or any(access.has_perm(p) for p in perms)):
        raise PermissionDenied(_("Your role does not take part in this."))


def is_centre(request: HttpRequest) -> bool:
    return access_for(request.user).has_perm(Perm.PROCESS_STERILE)


def user_centres(request: HttpRequest) -> list[Department]:
    """The sterile-supply centres the user works at, or (a branch) those serving its community."""
    access = access_for(request.user)
    own = Department.objects.filter(
        centre_type=CentreType.STERILE,
        institution_id__in=access.institutions_with(Perm.PROCESS_STERILE),
    )
    if own:
        return list(own.select_related("institution"))
    return list(
        Department.objects.visible_to(request.user)
        .filter(centre_type=CentreType.STERILE)
        .select_related("institution")
    )


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def run_action(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Call an action; show its error on the page or report success. Returns its result."""
    try:
        result = action()
    except (ValidationError, ActionError) as exc:
        messages.error(request, error_text(exc))
        return None
    messages.success(request, success)
    return result


def form_errors(form: Any) -> str:
    """A form's errors as one line for the page, each prefixed by its field's label."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = str(field.label or name) if field is not None else ""
        text = " ".join(str(m) for m in errors)
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)
