"""The home page is a set of cards; each capability registers the cards its users need.

A card names the permission that shows it, so a village doctor's home differs from the health
commission's without the home view knowing about either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from lianxin.core.access import Access
from lianxin.core.permissions import Perm

CardContext = Callable[[HttpRequest, Access], dict[str, Any]]


@dataclass(frozen=True)
class Card:
    key: str
    template: str
    perm: Perm | None = None
    context: CardContext | None = None
    order: int = 100

    def render(self, request: HttpRequest, access: Access) -> SafeString:
        extra = self.context(request, access) if self.context else {}
        return render_to_string(self.template, {"card": self, **extra}, request=request)


_CARDS: dict[str, Card] = {}


def register_card(
    key: str,
    template: str,
    *,
    perm: Perm | None = None,
    context: CardContext | None = None,
    order: int = 100,
) -> Card:
    """Add (or replace) a card on the home page."""
    card = Card(key=key, template=template, perm=perm, context=context, order=order)
    _CARDS[key] = card
    return card


def cards_for(access: Access) -> list[Card]:
    return sorted(
        (c for c in _CARDS.values() if c.perm is None or access.has_perm(c.perm)),
        key=lambda c: (c.order, c.key),
    )
