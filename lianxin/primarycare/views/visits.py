"""Recording a follow-up: one page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lianxin.core.adapters import submit
from lianxin.patients.actions import record_patient_read
from lianxin.primarycare.inputs import RecordVisitForm
from lianxin.primarycare.rules import TRIGGERS
from lianxin.primarycare.views.contracts import contract_url, load_contract


@login_required
def visit_record(request: HttpRequest, id) -> HttpResponse:
    contract = load_contract(request, id)
    form = RecordVisitForm(request.POST or None, user=request.user, target=contract)
    if request.method == "GET":
        record_patient_read(actor=request.user, patient=contract.patient, channel="visit")
    if request.method == "POST" and submit(form):
        visit = form.result
        messages.success(request, str(form.success))
        for code in visit.triggers:
            messages.warning(request, _("Refer: %(t)s") % {"t": TRIGGERS[code].label})
        if visit.referral is not None:
            messages.warning(
                request,
                _(
                    "An up-referral has been drafted with this follow-up attached: "
                    "check and send it."
                ),
            )
            return redirect("referrals:detail", id=visit.referral.external_id)
        if visit.triggers:
            messages.warning(request, _("Refer the patient from the referral page."))
        return redirect(contract_url(contract))
    return render(
        request,
        "primarycare/visit.html",
        {"form": form, "contract": contract, "plans": form.chronic},
    )
