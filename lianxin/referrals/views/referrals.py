"""Referral pages: the two worklists, the new-referral form, the referral page and its steps.

Each step is its own small view (``step_views``), made from its input in ``referrals/inputs.py``;
the API's step actions are made from the same inputs.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.adapters import page_step, submit
from lianxin.core.inputs import resolve
from lianxin.core.permissions import Perm
from lianxin.core.workflow import OPEN_STATUSES, Status, allowed_transitions
from lianxin.patients.actions import record_patient_read, record_patients_listed
from lianxin.patients.models import Patient
from lianxin.referrals import actions
from lianxin.referrals.inputs import (
    STEPS,
    AcceptReferralForm,
    CompleteReferralForm,
    CreateReferralForm,
    MilestoneReferralForm,
    RejectReferralForm,
    SubmitReferralForm,
)
from lianxin.referrals.models import AppointmentSlot, Referral
from lianxin.referrals.queries import overdue_follow_ups, worklist
from lianxin.referrals.rules import Direction, Milestone, Urgency
from lianxin.referrals.views.common import require_workflow_role

PAGE_SIZE = 25


@login_required
def worklist_view(request: HttpRequest, box: str = "incoming") -> HttpResponse:
    require_workflow_role(request)
    access = access_for(request.user)
    params = request.GET
    status = params.get("status", "open")
    items = worklist(
        Referral.objects.visible_to(request.user),
        box=box,
        access=access,
        status=status if status in {"open", *Status.values} else "",
        direction=params.get("direction", "") if params.get("direction") in Direction else "",
        urgency=params.get("urgency", "") if params.get("urgency") in Urgency else "",
        overdue=params.get("overdue") == "1",
        department_ids=access.department_ids if params.get("mine") == "1" else None,
        requester_id=request.user.pk if params.get("mine") == "1" else None,
        q=params.get("q", "").strip()[:40],
    )
    page = Paginator(items, PAGE_SIZE).get_page(params.get("page"))
    # The rows name patients: audited as reads of those patients.
    record_patients_listed(
        actor=request.user, patients=[row.patient for row in page], channel="referrals"
    )
    context = {
        "box": box,
        "page": page,
        "now": timezone.now(),
        "status": status,
        "statuses": Status.choices,
        "directions": Direction.choices,
        "urgencies": Urgency.choices,
        "filters": params,
        "overdue_follow_ups": overdue_follow_ups(access)[:20] if box == "incoming" else [],
    }
    template = "referrals/_worklist_rows.html" if request.htmx else "referrals/worklist.html"
    return render(request, template, context)


@login_required
def receiver_fields(request: HttpRequest) -> HttpResponse:
    """The department and doctor choices of one receiving institution (an htmx fragment)."""
    require_workflow_role(request)
    form = CreateReferralForm(
        user=request.user,
        initial={"performer_institution": request.GET.get("performer_institution")},
    )
    return render(request, "referrals/_receiver_fields.html", {"form": form})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """The new-referral page: the patient from the URL, the rest from ``CreateReferralForm``."""
    if not access_for(request.user).has_perm(Perm.REQUEST_SERVICE):
        raise PermissionDenied(_("Your role does not send referrals."))
    patient = resolve(Patient, request.user, request.GET.get("patient") or "-")
    form = CreateReferralForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        target=patient,
        initial={"direction": request.GET.get("direction", Direction.UP)},
    )
    if request.method == "POST" and submit(form):
        messages.success(request, str(form.success))
        return redirect("referrals:detail", id=form.result.external_id)
    return render(request, "referrals/create.html", {"form": form, "patient": patient})


def _load(request: HttpRequest, id) -> Referral:
    return resolve(
        Referral.objects.select_related(
            "patient",
            "requester_institution",
            "performer_institution",
            "performer_department",
            "requester_department",
            "requester",
            "owner",
            "requested_practitioner",
            "follows",
        ),
        request.user,
        id,
    )


@login_required
def detail(request: HttpRequest, id) -> HttpResponse:
    referral = _load(request, id)
    record_patient_read(actor=request.user, patient=referral.patient, channel="referral")
    access = access_for(request.user)
    is_requester = access.has_perm(Perm.REQUEST_SERVICE, referral.requester_institution_id)
    is_performer = access.has_perm(Perm.PERFORM_SERVICE, referral.performer_institution_id)
    if is_requester and referral.status == Status.COMPLETED:
        actions.do_mark_outcome_seen(actor=request.user, referral=referral)
    names = {t.name for t in allowed_transitions(referral, request.user)}
    context = {
        "referral": referral,
        "patient": referral.patient,
        "transitions": referral.transitions.select_related(
            "actor__practitioner", "acting_institution"
        ),
        "age": referral.patient.age_on() if referral.patient.birth_date else None,
        # Other open referrals of this patient to the same place: perhaps sent twice.
        "same_place": Referral.objects.visible_to(request.user)
        .filter(
            patient=referral.patient,
            performer_institution=referral.performer_institution_id,
            status__in=OPEN_STATUSES,
        )
        .exclude(pk=referral.pk)
        .order_by("-created_at")[:5],
        # The draft down-referral that sending the outcome back proposed.
        "proposed_down": Referral.objects.visible_to(request.user)
        .filter(follows=referral, status=Status.DRAFT)
        .first(),
        "follow_ups": referral.follow_ups.select_related("done_by"),
        "attachments": referral.attachments.all(),
        "linked_results": referral.linked_results.select_related(
            "order__exam", "order__performer_institution"
        ),
        "milestones": referral.milestones.select_related("recorded_by"),
        "milestone_choices": Milestone.choices,
        "slot": AppointmentSlot.objects.filter(referral=referral).first(),
        "can": names,
        "is_requester": is_requester,
        "is_performer": is_performer,
        "accept_form": AcceptReferralForm(user=request.user, target=referral),
        "reason_form": RejectReferralForm(user=request.user, target=referral),
        "outcome_form": CompleteReferralForm(user=request.user, target=referral),
        "milestone_form": MilestoneReferralForm(user=request.user, target=referral),
        "plan_form": SubmitReferralForm(user=request.user, target=referral),
        "now": timezone.now(),
        "open_statuses": OPEN_STATUSES,
    }
    return render(request, "referrals/detail.html", context)


def _detail_url(referral: Referral) -> str:
    return reverse("referrals:detail", kwargs={"id": referral.external_id})


#: one small POST view per workflow step (``referrals:accept`` …), each over its input form
step_views = {
    name: page_step(form_class, load=_load, done=_detail_url) for name, form_class in STEPS.items()
}


@login_required
def attachment(request: HttpRequest, id, attachment_id) -> HttpResponse:
    referral = _load(request, id)
    item = get_object_or_404(referral.attachments, external_id=attachment_id)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)


@login_required
def linked_result(request: HttpRequest, id, result_id) -> HttpResponse:
    """A network result linked to the referral, read through the referral's access: both sides
    of the referral open it, whether or not the order is one of their institutions'."""
    from lianxin.diagnostics.models import ExamOrder
    from lianxin.diagnostics.queries import latest_signed_report

    referral = _load(request, id)
    link = get_object_or_404(
        referral.linked_results.select_related(
            "order__exam", "order__performer_institution", "order__requester_institution"
        ),
        external_id=result_id,
    )
    record_patient_read(actor=request.user, patient=referral.patient, channel="referral")
    order = link.order
    context = {
        "referral": referral,
        "order": order,
        "report": latest_signed_report(order),
        # Those who may open the order itself get a link to its page.
        "openable": ExamOrder.objects.visible_to(request.user).filter(pk=order.pk).exists(),
    }
    return render(request, "referrals/linked_result.html", context)
