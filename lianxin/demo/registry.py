"""The steps that build the demo county, in order.

The core steps (network, workforce, residents, accounts) register themselves when
``lianxin.demo.build`` is imported. An app that wants demo data of its own (a year of referrals,
exam orders, outreach rosters) adds a ``demo_steps.py`` module calling ``register_step`` with an
``order`` above 100; ``build_county`` discovers those modules and runs every step in order, each in
its own transaction, with the ``DemoCounty`` built so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lianxin.demo.context import DemoCounty

StepFunction = Callable[["DemoCounty"], Any]


@dataclass(frozen=True)
class Step:
    name: str
    fn: StepFunction
    order: int


_STEPS: dict[str, Step] = {}


def register_step(
    name: str, fn: StepFunction | None = None, *, order: int = 100
) -> StepFunction | Callable[[StepFunction], StepFunction]:
    """Register ``fn`` under ``name``; usable as ``@register_step("referrals", order=110)``.

    Registering a name again replaces the earlier step (modules may be imported twice in tests).
    """

    def add(function: StepFunction) -> StepFunction:
        _STEPS[name] = Step(name=name, fn=function, order=order)
        return function

    if fn is not None:
        return add(fn)
    return add


def steps() -> list[Step]:
    return sorted(_STEPS.values(), key=lambda step: (step.order, step.name))


def discover() -> None:
    """Import every installed app's ``demo_steps`` module so that its steps register."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo_steps")
