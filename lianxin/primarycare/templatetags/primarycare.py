from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(row: dict, key: str) -> Any:
    return row.get(key)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"
