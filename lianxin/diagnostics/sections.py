"""Results from the whole network on the 360° patient page, with their recognition status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lianxin.patients.sections import register_section


def _context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    from lianxin.diagnostics.queries import patient_results

    context = patient_results(request.user, patient)
    # Imaging results whose images arrived (DICOM) open on the order page's viewer.
    from lianxin.interfaces.models import Study

    openable = [item.pk for item in context["results"] if item.openable]
    with_images = set(
        Study.objects.filter(order_id__in=openable, instance_count__gt=0).values_list(
            "order_id", flat=True
        )
    )
    for item in context["results"]:
        item.has_images = item.pk in with_images
    return context


register_section(
    "results", _("Results"), "diagnostics/sections/patient.html", context=_context, order=20
)
