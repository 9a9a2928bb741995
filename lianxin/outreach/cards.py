"""The outreach card on the home page, for the outreach office."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from lianxin.core.access import Access
from lianxin.core.home import register_card
from lianxin.core.permissions import Perm
from lianxin.outreach.models import Posting


def _context(request: HttpRequest, access: Access) -> dict[str, Any]:
    managed = access.institutions_with(Perm.MANAGE_OUTREACH)
    active = (
        Posting.objects.active_on(timezone.localdate())
        .filter(home_institution_id__in=managed)
        .count()
    )
    return {"active": active}


register_card(
    "outreach",
    "outreach/cards/outreach.html",
    perm=Perm.MANAGE_OUTREACH,
    context=_context,
    order=40,
)
