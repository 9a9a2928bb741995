"""The emergency card on the home page, for the emergency desk: ask, and what it saved."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from lianxin.core.access import Access
from lianxin.core.home import register_card
from lianxin.core.permissions import Perm
from lianxin.emergency.rules import CONDITIONS


def _context(request: HttpRequest, access: Access) -> dict[str, Any]:
    from lianxin.emergency.models import GreenChannelCase
    from lianxin.emergency.queries import month_summary

    today = timezone.localdate()
    desks = access.institutions_with(Perm.EMERGENCY_ROUTING)
    recent = (
        GreenChannelCase.objects.filter(desk_institution_id__in=list(desks), village__isnull=False)
        .select_related("village")
        .order_by("-call_at")[:3]
    )
    return {
        "conditions": CONDITIONS.values(),
        "summary": month_summary(desks, today),
        "recent": recent,
    }


register_card(
    "emergency",
    "emergency/cards/emergency.html",
    perm=Perm.EMERGENCY_ROUTING,
    context=_context,
    order=15,
)
