"""A resident's contract: sign, see, renew, terminate, print."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.adapters import page_step, submit
from lianxin.core.inputs import resolve
from lianxin.patients.actions import record_patient_read
from lianxin.patients.models import Patient
from lianxin.primarycare import queries
from lianxin.primarycare.inputs import (
    CONTRACT_STEPS,
    RecordKeyPopulationForm,
    RenewContractForm,
    SignContractForm,
    TerminateContractForm,
)
from lianxin.primarycare.models import Contract, ContractStatus
from lianxin.primarycare.rules import RENEW_FROM_DAYS_BEFORE_END
from lianxin.primarycare.views.common import require_family_doctor


def load_contract(request: HttpRequest, id: Any) -> Contract:
    require_family_doctor(request)
    queryset = Contract.objects.select_related(
        "patient", "team__institution", "doctor", "village", "signed_by", "renews"
    )
    return resolve(queryset, request.user, id)


def contract_url(contract: Contract) -> str:
    return reverse("primarycare:contract", kwargs={"id": contract.external_id})


def _done(contract: Contract) -> str:
    # A renewal lands on the new contract.
    renewed = Contract.objects.filter(renews=contract).first()
    return contract_url(renewed or contract)


step_views = {
    name: page_step(form, load=load_contract, done=_done) for name, form in CONTRACT_STEPS.items()
}


@login_required
def contract_detail(request: HttpRequest, id) -> HttpResponse:
    contract = load_contract(request, id)
    record_patient_read(actor=request.user, patient=contract.patient, channel="contract")
    user = request.user
    renew_from = contract.ends_on - datetime.timedelta(days=RENEW_FROM_DAYS_BEFORE_END)
    context = {
        "contract": contract,
        "lines": contract.lines.select_related("package").prefetch_related("package__items"),
        "plans": contract.plans.select_related("referral").order_by("status", "next_due_on"),
        "visits": contract.visits.select_related("practitioner", "recorded_by").prefetch_related(
            "assessments__plan"
        )[:20],
        "key_populations": contract.patient.key_populations.filter(ended_on__isnull=True),
        "age": contract.patient.age_on(),
        "renew_form": RenewContractForm(user=user, target=contract),
        "terminate_form": TerminateContractForm(user=user, target=contract),
        "key_population_form": RecordKeyPopulationForm(user=user, target=contract),
        "may_change": contract.status in (ContractStatus.ACTIVE, ContractStatus.RENEWED),
        # do_renew_contract's window: the form shows once renewal is open.
        "may_renew": contract.status == ContractStatus.ACTIVE
        and timezone.localdate() >= renew_from,
        "renew_from": renew_from,
    }
    return render(request, "primarycare/contract.html", context)


@login_required
def contract_sign(request: HttpRequest) -> HttpResponse:
    """Sign a resident (from the patient page: ?patient=<id>) with one of the user's teams."""
    require_family_doctor(request)
    patient = resolve(Patient, request.user, request.GET.get("patient"))
    if not queries.teams_of(request.user).exists():
        raise Http404(_("You are not on a family-doctor team."))
    current = (
        Contract.objects.visible_to(request.user)
        .filter(patient=patient, status=ContractStatus.ACTIVE)
        .select_related("team")
        .first()
    )
    form = SignContractForm(request.POST or None, user=request.user, target=patient)
    if request.method == "POST" and submit(form):
        messages.success(request, str(form.success))
        return redirect(contract_url(form.result))
    return render(
        request, "primarycare/sign.html", {"form": form, "patient": patient, "current": current}
    )


@login_required
def contract_print(request: HttpRequest, id) -> HttpResponse:
    from lianxin.primarycare.printing import build_contract_pdf

    contract = load_contract(request, id)
    record_patient_read(actor=request.user, patient=contract.patient, channel="contract-print")
    pdf = build_contract_pdf(contract, request.build_absolute_uri(contract_url(contract)))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contract-{contract.external_id}.pdf"'
    return response
