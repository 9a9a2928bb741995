"""Referral pages: the two worklists, the new-referral form, the referral page and its steps."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.permissions import Perm
from lianxin.core.workflow import OPEN_STATUSES, Status, allowed_transitions
from lianxin.network.models import Department
from lianxin.patients.actions import record_patient_read
from lianxin.patients.models import Patient
from lianxin.referrals import actions
from lianxin.referrals.forms import (
    AcceptForm,
    FollowUpResultForm,
    MilestoneForm,
    OutcomeForm,
    ReasonForm,
    ReferralForm,
    SubmitDraftForm,
)
from lianxin.referrals.models import AppointmentSlot, FollowUpItem, Referral
from lianxin.referrals.queries import overdue_follow_ups, worklist
from lianxin.referrals.rules import Direction, Milestone, Urgency
from lianxin.referrals.views.common import (
    care_institutions,
    departments_of,
    requesting_institutions,
    require_workflow_role,
    run_action,
)
from lianxin.workforce.models import Practitioner

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


def _form(request: HttpRequest, data=None, files=None, initial=None) -> ReferralForm:
    """The referral form; departments and doctors are those of the chosen receiving institution
    (loaded with htmx when the institution changes)."""
    institutions = care_institutions(request)
    chosen = (data or {}).get("performer_institution") or (initial or {}).get(
        "performer_institution"
    )
    receiving = institutions.filter(external_id=chosen) if _is_uuid(chosen) else institutions.none()
    return ReferralForm(
        data,
        files,
        initial=initial,
        requesters=requesting_institutions(request),
        institutions=institutions,
        departments=departments_of(receiving),
        practitioners=Practitioner.objects.filter(institution__in=receiving, is_active=True)
        .select_related("department")
        .order_by("department__name", "name"),
    )


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError):
        return False
    return True


@login_required
def receiver_fields(request: HttpRequest) -> HttpResponse:
    """The department and doctor choices of one receiving institution (an htmx fragment)."""
    require_workflow_role(request)
    form = _form(
        request, initial={"performer_institution": request.GET.get("performer_institution")}
    )
    return render(request, "referrals/_receiver_fields.html", {"form": form})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not access_for(request.user).has_perm(Perm.REQUEST_SERVICE):
        raise PermissionDenied(_("Your role does not send referrals."))
    patient = get_for_user(Patient, request.user, request.GET.get("patient") or "-")
    initial = {"direction": request.GET.get("direction", Direction.UP)}
    form = _form(request, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Referral] = []

        def act():
            created.append(
                actions.do_create_referral(
                    actor=request.user,
                    patient=patient,
                    direction=data["direction"],
                    requester_institution=data["requester_institution"],
                    performer_institution=data["performer_institution"],
                    performer_department=data["performer_department"],
                    requested_practitioner=data["requested_practitioner"],
                    urgency=data["urgency"],
                    diagnosis_code=data["diagnosis_code"],
                    diagnosis_text=data["diagnosis_text"],
                    reason=data["reason"],
                    history_summary=data["history_summary"],
                    care_plan=data["care_plan"],
                    follow_ups=form.plan(),
                    attachments=data["attachments"],
                )
            )

        if run_action(request, form, act, _("Referral sent.")):
            return redirect("referrals:detail", id=created[0].external_id)
    return render(request, "referrals/create.html", {"form": form, "patient": patient})


def _load(request: HttpRequest, id) -> Referral:
    return get_for_user(
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
    slots = (
        AppointmentSlot.objects.free()
        .filter(institution=referral.performer_institution, starts_at__gt=timezone.now())
        .select_related("department", "practitioner")
        .order_by("starts_at")
    )
    if referral.performer_department_id:
        slots = slots.filter(department=referral.performer_department_id)
    context = {
        "referral": referral,
        "patient": referral.patient,
        "transitions": referral.transitions.select_related("actor", "acting_institution"),
        "follow_ups": referral.follow_ups.select_related("done_by"),
        "attachments": referral.attachments.all(),
        "milestones": referral.milestones.select_related("recorded_by"),
        "milestone_choices": Milestone.choices,
        "slot": AppointmentSlot.objects.filter(referral=referral).first(),
        "can": names,
        "is_requester": is_requester,
        "is_performer": is_performer,
        "accept_form": AcceptForm(
            initial={"version": referral.version},
            slots=slots[:50],
            departments=Department.objects.filter(
                institution=referral.performer_institution, is_active=True
            ),
        ),
        "reason_form": ReasonForm(),
        "outcome_form": OutcomeForm(),
        "milestone_form": MilestoneForm(),
        "plan_form": SubmitDraftForm(),
        "now": timezone.now(),
        "open_statuses": OPEN_STATUSES,
    }
    return render(request, "referrals/detail.html", context)


@login_required
@require_POST
def act(request: HttpRequest, id) -> HttpResponse:
    """One button on the referral page: the ``action`` field names the step."""
    referral = _load(request, id)
    step = request.POST.get("action", "")
    user = request.user
    version = request.POST.get("version")
    expected = int(version) if version and version.isdigit() else None
    if step == "accept":
        form = AcceptForm(
            request.POST,
            slots=AppointmentSlot.objects.filter(institution=referral.performer_institution),
            departments=Department.objects.filter(institution=referral.performer_institution),
        )
        if form.is_valid():
            run_action(
                request,
                None,
                lambda: actions.do_accept_referral(
                    actor=user,
                    referral=referral,
                    slot=form.cleaned_data["slot"],
                    department=form.cleaned_data["department"],
                    expected_version=expected,
                ),
                _("Referral accepted."),
            )
        else:
            _form_errors(request, form)
    elif step in {"reject", "cancel", "no_show"}:
        form = ReasonForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            reason = form.cleaned_data["reason"]
            do = {
                "reject": actions.do_reject_referral,
                "cancel": actions.do_cancel_referral,
                "no_show": actions.do_record_no_show,
            }[step]
            run_action(
                request,
                None,
                lambda: do(actor=user, referral=referral, reason=reason),
                _("Recorded."),
            )
    elif step == "receive":
        run_action(
            request,
            None,
            lambda: actions.do_receive_referral(actor=user, referral=referral),
            _("Marked as received."),
        )
    elif step == "arrive":
        run_action(
            request,
            None,
            lambda: actions.do_record_arrival(actor=user, referral=referral),
            _("Arrival recorded."),
        )
    elif step == "complete":
        form = OutcomeForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            run_action(
                request,
                None,
                lambda: actions.do_complete_referral(
                    actor=user,
                    referral=referral,
                    outcome_summary=form.cleaned_data["outcome_summary"],
                ),
                _("Outcome sent back to the referring doctor."),
            )
    elif step == "milestone":
        form = MilestoneForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            run_action(
                request,
                None,
                lambda: actions.do_record_milestone(
                    actor=user,
                    referral=referral,
                    milestone=form.cleaned_data["milestone"],
                    at=form.cleaned_data["at"],
                ),
                _("Milestone recorded."),
            )
    elif step == "follow_up":
        form = FollowUpResultForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            item = get_object_or_404(
                FollowUpItem, referral=referral, external_id=form.cleaned_data["item"]
            )
            run_action(
                request,
                None,
                lambda: actions.do_record_follow_up(
                    actor=user, item=item, result=form.cleaned_data["result"]
                ),
                _("Follow-up recorded."),
            )
    elif step == "submit":
        form = SubmitDraftForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            run_action(
                request,
                None,
                lambda: actions.do_submit_referral(
                    actor=user, referral=referral, follow_ups=form.plan()
                ),
                _("Referral sent."),
            )
    else:
        raise Http404("no such step")
    return redirect("referrals:detail", id=referral.external_id)


def _form_errors(request: HttpRequest, form) -> None:
    from django.contrib import messages

    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


@login_required
def attachment(request: HttpRequest, id, attachment_id) -> HttpResponse:
    referral = _load(request, id)
    item = get_object_or_404(referral.attachments, external_id=attachment_id)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)
