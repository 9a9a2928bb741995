"""Results from the whole network on the 360° patient page, with their recognition status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lianxin.patients.sections import register_section


def _context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    from lianxin.diagnostics.queries import patient_results

    return patient_results(request.user, patient)


register_section(
    "results", _("Results"), "diagnostics/sections/patient.html", context=_context, order=20
)
