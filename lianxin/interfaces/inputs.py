"""The input of the interfaces' user actions, declared once for the page and the API: attaching
a study of the reconciliation queue to its exam order (``do_attach_study``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.inputs import ActionForm, ScopedChoiceField
from lianxin.diagnostics.models import ExamOrder
from lianxin.interfaces.dicom.reconcile import candidate_orders, do_attach_study

OFFERED = 50


def order_label(order: ExamOrder) -> str:
    ordered = timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M")
    site = order.requester_institution.short_name or order.requester_institution.name
    parts = (order.accession_number, order.patient.name, order.exam.name, site, ordered)
    return " · ".join(parts)


class AttachStudyForm(ActionForm):
    """Attach an unlinked study to its exam order (``do_attach_study``); the order is then
    recorded as performed, as when the images arrive with their accession number."""

    success = _("Images attached; the exam is recorded as performed.")
    order = ScopedChoiceField(
        ExamOrder.objects.select_related("patient", "exam", "requester_institution"),
        label=_("Exam order"),
        empty_label=_("Choose the order of these images"),
    )
    other_name_confirmed = forms.BooleanField(
        label=_("The name in the images is not the order's patient's: attach anyway"),
        required=False,
    )
    note = forms.CharField(
        label=_("Note (why these images belong to this order)"), max_length=200, required=False
    )

    def setup(self) -> None:
        self.fields["order"].label_from_instance = order_label
        if self.target is not None and not self.is_bound:
            self.offer("order", candidate_orders(self.user, self.target)[:OFFERED])

    def act(self, data: dict[str, Any]):
        return do_attach_study(
            actor=self.user,
            study=self.target,
            order=data["order"],
            note=data["note"],
            other_name_confirmed=data["other_name_confirmed"],
        )
