"""Computing an indicator's figure for a period and a scope.

``compute(indicator, period, scope)`` checks that the indicator is defined for the period and the
scope, runs the indicator's function (named in the catalogue), and caches the figure under a key
that carries the edition, the period, the scope and the newest feed import, so a new import is
seen at once and a figure never mixes editions or periods. Figures of Lianxin's own records are
cached for ``CACHE_SECONDS`` (the page says when each was computed).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.indicators.compute import feeds, platform
from lianxin.indicators.compute.base import Figure, FigureStatus, Scope
from lianxin.indicators.models import FeedImport
from lianxin.indicators.periods import Period
from lianxin.indicators.rules import Indicator, Status

CACHE_SECONDS = 300

FUNCTIONS = {
    "stationed_seniors": platform.stationed_seniors,
    "imaging_ecg_service": platform.imaging_ecg_service,
    "chronic_admission_rate": platform.chronic_admission_rate,
    "income_ratio": feeds.income_ratio,
    "primary_visit_share": feeds.primary_visit_share,
    "tcm_visit_share": feeds.tcm_visit_share,
    "fund_in_county_share": feeds.fund_in_county_share,
    "fund_primary_share": feeds.fund_primary_share,
    "inpatient_cost": feeds.inpatient_cost,
    "inpatient_in_county_share": feeds.inpatient_in_county_share,
    "premature_ncd_mortality": feeds.premature_ncd_mortality,
}

PERIOD_LABELS = {"month": "月", "quarter": "季度", "year": "年"}
SCOPE_LABELS = {"community": "医共体", "township": "乡镇", "institution": "机构"}


def data_stamp() -> str:
    """Changes whenever a feed is imported or replaced."""
    stamp = FeedImport.objects.aggregate(n=Max("pk"), s=Max("superseded_at"))
    return f"{stamp['n']}-{stamp['s'].timestamp() if stamp['s'] else 0}"


def compute(
    indicator: Indicator,
    period: Period,
    scope: Scope,
    *,
    stamp: str | None = None,
    use_cache: bool = True,
) -> Figure:
    if period.kind not in indicator.periods:
        return _not_applicable(
            indicator,
            period,
            scope,
            _("This indicator is computed per %(kinds)s only.")
            % {"kinds": "、".join(PERIOD_LABELS[k] for k in indicator.periods)},
        )
    if scope.kind not in indicator.scopes:
        return _not_applicable(
            indicator,
            period,
            scope,
            _("This indicator is computed for a whole %(kinds)s only.")
            % {"kinds": "、".join(SCOPE_LABELS[k] for k in indicator.scopes)},
        )
    key = None
    if use_cache:
        key = f"indicator:{indicator.code}:{period}:{scope.key}:{stamp or data_stamp()}"
        hit = cache.get(key)
        if hit is not None:
            return hit
    if indicator.status == Status.QUALITATIVE:
        figure = platform.qualitative(indicator, period, scope)
    else:
        figure = FUNCTIONS[indicator.compute](indicator, period, scope)
    figure.computed_at = timezone.now()
    if key:
        cache.set(key, figure, CACHE_SECONDS)
    return figure


def _not_applicable(indicator: Indicator, period: Period, scope: Scope, why: str) -> Figure:
    figure = Figure(indicator, period, scope, FigureStatus.NOT_APPLICABLE)
    figure.notes.append(why)
    return figure


__all__ = ["FUNCTIONS", "Figure", "FigureStatus", "Scope", "compute", "data_stamp"]
