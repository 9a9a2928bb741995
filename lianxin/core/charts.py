"""Chart descriptions for the pages: plain data that ``static/lianxin/charts.js`` turns into an
Apache ECharts chart (vendored under ``static/vendor/echarts``). A page puts the description in
``{{ chart|json_script:"id" }}`` beside ``<div class="chart-box" data-chart="id">``, so it carries
no inline script; templates include ``includes/chart.html``."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import pgettext


def number(value: Decimal | int | float | None) -> float | None:
    return None if value is None else float(value)


def line_chart(
    trend: Iterable[tuple[str, Decimal | int | float | None]],
    *,
    name: str,
    unit: str = "",
    target: Decimal | int | float | None = None,
    compact: bool = False,
) -> dict[str, Any]:
    points = list(trend)
    return {
        "type": "line",
        "compact": compact,
        "categories": [str(label) for label, _value in points],
        "series": [{"name": str(name), "data": [number(v) for _label, v in points]}],
        "unit": unit,
        "target": number(target),
        "targetLabel": pgettext("indicator", "Target"),
    }


def bar_chart(
    rows: Iterable[tuple[str, Decimal | int | float | None]],
    *,
    name: str,
    unit: str = "",
    horizontal: bool = True,
) -> dict[str, Any]:
    items = list(rows)
    return {
        "type": "bar",
        "categories": [str(label) for label, _value in items],
        "series": [{"name": str(name), "data": [number(v) for _label, v in items]}],
        "unit": unit,
        "horizontal": horizontal,
    }
