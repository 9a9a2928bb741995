"""Recognising a prior result instead of repeating the exam (检查检验结果互认)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.diagnostics.actions.common import check_patient_visible, ordering_institution
from lianxin.diagnostics.models import Decision, ExamItem, Recognition, Report
from lianxin.network.models import Department, Institution
from lianxin.patients.models import Patient


def do_recognise_result(
    *,
    actor: Any,
    patient: Patient,
    exam: ExamItem,
    prior_report: Report,
    requester_institution: Institution | None = None,
    requester_department: Department | None = None,
) -> Recognition:
    """Use a recognisable prior result: no new exam is ordered; the avoided cost is recorded."""
    from lianxin.diagnostics.queries import recognisable_results

    site = ordering_institution(actor, requester_institution)
    check_patient_visible(actor, patient)
    if requester_department is not None and requester_department.institution_id != site.pk:
        raise ValidationError(
            {"requester_department": [_("This department belongs to another institution.")]}
        )
    eligible = recognisable_results(patient, exam, site, now=timezone.now())
    if not eligible.filter(pk=prior_report.pk).exists():
        raise ValidationError(
            {"prior_report": [_("This result cannot be recognised for this item here.")]}
        )
    with transaction.atomic():
        decision = Recognition.objects.create(
            patient=patient,
            exam=exam,
            prior_report=prior_report,
            decision=Decision.RECOGNISED,
            avoided_cost=exam.price,
            doctor=actor,
            institution=site,
            department=requester_department,
        )
        audit.record(
            "diagnostics.recognition.recognise",
            actor=actor,
            target=decision,
            institution=site,
            after={"prior": str(prior_report.external_id), "avoided_cost": str(exam.price)},
        )
    return decision
