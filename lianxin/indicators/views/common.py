"""What the indicator pages share: the selection (edition, period, community, institution) read
from the query string, and the chart descriptions that ``static/lianxin/charts.js`` draws."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.charts import bar_chart, line_chart
from lianxin.indicators.compute import Scope
from lianxin.indicators.periods import Period, PeriodError, parse_period
from lianxin.indicators.queries import (
    ScopeError,
    can_read,
    communities_for,
    edition,
    resolve_scope,
)
from lianxin.indicators.rules import Edition


class SelectionError(ValueError):
    pass


@dataclass
class Selection:
    edition: Edition
    period: Period
    scope: Scope
    query: str  # the query string that reproduces the selection

    def context(self, user: Any) -> dict[str, Any]:
        """What the selection form shows: the communities, and the community's institutions
        other than villages (a township stands for itself with its villages)."""
        from lianxin.network.models import Institution, Tier
        from lianxin.outreach.queries import community_institution_ids

        ids = community_institution_ids(self.scope.community)
        return {
            "selection": self,
            "edition": self.edition,
            "period": self.period,
            "scope": self.scope,
            "communities": list(communities_for(user)),
            "institutions": list(
                Institution.objects.filter(pk__in=ids)
                .exclude(tier=Tier.VILLAGE)
                .order_by("tier", "name")
            ),
        }


def require_aggregates(request: HttpRequest) -> None:
    if not can_read(request.user):
        raise PermissionDenied(_("Your role does not read the indicators."))


def default_period() -> Period:
    """The last complete month's year: January's figures look at last year."""
    today = timezone.localdate()
    return Period("year", today.year if today.month > 1 else today.year - 1)


def selection(request: HttpRequest) -> Selection:
    """The selection in the query string; ``SelectionError`` with a message when it is wrong,
    404 for a community or institution outside the user's reach."""
    try:
        ed = edition(request.GET.get("edition"))
        period = parse_period(request.GET.get("period"), default=default_period())
    except (PeriodError, ScopeError) as exc:
        raise SelectionError(str(exc)) from exc
    scope = resolve_scope(
        request.user, request.GET.get("community") or None, request.GET.get("institution") or None
    )
    parts = [f"edition={ed.code}", f"period={period}", f"community={scope.community.external_id}"]
    if scope.institution:
        parts.append(f"institution={scope.institution.external_id}")
    return Selection(ed, period, scope, "&".join(parts))


__all__ = [
    "Selection",
    "SelectionError",
    "bar_chart",
    "default_period",
    "line_chart",
    "require_aggregates",
    "selection",
]
