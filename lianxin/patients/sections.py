"""Sections of the 360° patient page, contributed by the apps that own the data.

The patients app only knows demographics and identifiers. Referrals, results, follow-ups and
whatever comes later add their own section from their ``AppConfig.ready()``::

    from lianxin.patients.sections import register_section
    register_section("referrals", _("Referrals"), "referrals/patient_section.html",
                     context=lambda request, patient: {"referrals": ...}, order=10)

A provider receives the request (for ``request.user``) and the patient, and must itself go through
``visible_to(request.user)`` for its rows. Registering a key again replaces the earlier provider, so
an app can take over the placeholder section below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

ContextProvider = Callable[[HttpRequest, Any], dict[str, Any]]
EMPTY_TEMPLATE = "patients/sections/empty.html"


@dataclass(frozen=True)
class Section:
    key: str
    title: Any  # a lazy translation
    template: str
    context: ContextProvider | None = None
    order: int = 100

    def render(self, request: HttpRequest, patient: Any) -> SafeString:
        extra = self.context(request, patient) if self.context else {}
        return render_to_string(
            self.template,
            {"patient": patient, "section": self, **extra},
            request=request,
        )


_REGISTRY: dict[str, Section] = {}


def register_section(
    key: str,
    title: Any,
    template: str,
    *,
    context: ContextProvider | None = None,
    order: int = 100,
) -> Section:
    """Add (or replace) a section of the patient page."""
    section = Section(key=key, title=title, template=template, context=context, order=order)
    _REGISTRY[key] = section
    return section


def sections() -> list[Section]:
    return sorted(_REGISTRY.values(), key=lambda section: (section.order, section.key))


def render_sections(request: HttpRequest, patient: Any) -> list[tuple[Section, SafeString]]:
    return [(section, section.render(request, patient)) for section in sections()]


# Placeholders until the referral, diagnostics and primary-care apps provide theirs.
register_section("results", _("Results"), EMPTY_TEMPLATE, order=20)
register_section("follow-ups", _("Follow-ups"), EMPTY_TEMPLATE, order=30)
