"""Helpers the diagnostics pages share: permission gates and action error handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property
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


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows. A centre's reported studies run to
    hundreds of thousands; counting them all costs more than showing a page (a full scan of the
    table), and nobody pages that far: past the cap, the filters narrow the list."""

    cap = 3000

    @cached_property
    def _counted(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def is_capped(self) -> bool:
        return self._counted > self.cap
