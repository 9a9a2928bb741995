"""Helpers the outreach pages share: permission gates, action error handling, charts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


BAR_HEIGHT = 22
LABEL_WIDTH = 180
CHART_WIDTH = 640


def bar_chart(rows: Iterable[tuple[str, int | float]]) -> dict[str, Any]:
    """Horizontal bars drawn as inline SVG by the template: no script, no library, nothing to
    fetch (the intranet has no CDN)."""
    items = list(rows)
    top = max((value for _, value in items), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 60
    bars = [
        {
            "label": label,
            "value": value,
            "y": index * BAR_HEIGHT,
            "width": round(span * value / top, 1),
            "text_x": LABEL_WIDTH + round(span * value / top, 1) + 4,
        }
        for index, (label, value) in enumerate(items)
    ]
    return {
        "bars": bars,
        "height": max(len(bars), 1) * BAR_HEIGHT,
        "width": CHART_WIDTH,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT - 6,
    }
