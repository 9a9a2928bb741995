"""Consultation pages: the two lists, the invitation form and the consultation page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.adapters import errors_to_messages as _form_errors
from lianxin.core.adapters import run_action
from lianxin.core.permissions import Perm
from lianxin.core.workflow import OPEN_STATUSES, allowed_transitions
from lianxin.patients.actions import record_patient_read, record_patients_listed
from lianxin.patients.models import Patient
from lianxin.referrals import actions
from lianxin.referrals.actions.consultations import Invitee
from lianxin.referrals.forms import (
    ConsultationForm,
    ContributionForm,
    OpinionForm,
    RatingForm,
    ReasonForm,
    ScheduleForm,
)
from lianxin.referrals.models import Consultation
from lianxin.referrals.views.common import (
    care_institutions,
    departments_of,
    requesting_institutions,
    require_workflow_role,
)
from lianxin.workforce.models import Practitioner

PAGE_SIZE = 25


@login_required
def consultation_list(request: HttpRequest, box: str = "incoming") -> HttpResponse:
    require_workflow_role(request)
    ids = access_for(request.user).clinical_institution_ids
    items = Consultation.objects.visible_to(request.user)
    if box == "incoming":
        items = items.filter(
            Q(performer_institution_id__in=ids) | Q(invitees__institution_id__in=ids)
        ).distinct()
    else:
        items = items.filter(requester_institution_id__in=ids)
    if request.GET.get("status", "open") == "open":
        items = items.filter(status__in=OPEN_STATUSES)
    items = items.select_related(
        "patient", "requester_institution", "performer_institution", "performer_department"
    ).order_by("scheduled_at", "-created_at")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    # The rows name patients: audited as reads of those patients.
    record_patients_listed(
        actor=request.user, patients=[row.patient for row in page], channel="consultations"
    )
    return render(
        request,
        "referrals/consultation_list.html",
        {"box": box, "page": page, "now": timezone.now(), "filters": request.GET},
    )


@login_required
def consultation_create(request: HttpRequest) -> HttpResponse:
    if not access_for(request.user).has_perm(Perm.REQUEST_SERVICE):
        raise PermissionDenied(_("Your role does not invite consultations."))
    patient = get_for_user(Patient, request.user, request.GET.get("patient") or "-")
    institutions = care_institutions(request)
    form = ConsultationForm(
        request.POST or None,
        requesters=requesting_institutions(request),
        departments=departments_of(institutions),
        practitioners=Practitioner.objects.filter(institution__in=institutions, is_active=True)
        .select_related("institution")
        .order_by("institution__name", "name"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        practitioner = data["invited_practitioner"]
        invitees = [Invitee(d.institution, d) for d in data["invited_departments"]]
        if practitioner is not None:
            invitees = [
                Invitee(i.institution, i.department, practitioner)
                if i.institution.pk == practitioner.institution_id
                and (i.department is None or practitioner.department_id in {None, i.department.pk})
                else i
                for i in invitees
            ]
        created: list[Consultation] = []
        ok = run_action(
            request,
            form,
            lambda: created.append(
                actions.do_request_consultation(
                    actor=request.user,
                    patient=patient,
                    invitees=invitees,
                    kind=data["kind"],
                    urgency=data["urgency"],
                    question=data["question"],
                    clinical_summary=data["clinical_summary"],
                    proposed_at=data["proposed_at"],
                    video_link=data["video_link"],
                    requester_institution=data["requester_institution"],
                )
            ),
            _("Consultation requested."),
        )
        if ok:
            return redirect("referrals:consultation-detail", id=created[0].external_id)
    return render(request, "referrals/consultation_create.html", {"form": form, "patient": patient})


def _load(request: HttpRequest, id) -> Consultation:
    return get_for_user(
        Consultation.objects.select_related(
            "patient",
            "requester_institution",
            "performer_institution",
            "performer_department",
            "requester",
            "owner",
            "signed_by",
        ),
        request.user,
        id,
    )


@login_required
def consultation_detail(request: HttpRequest, id) -> HttpResponse:
    consultation = _load(request, id)
    record_patient_read(actor=request.user, patient=consultation.patient, channel="consultation")
    access = access_for(request.user)
    invitees = consultation.invitees.select_related("institution", "department", "practitioner")
    context = {
        "consultation": consultation,
        "patient": consultation.patient,
        "invitees": invitees,
        "transitions": consultation.transitions.select_related("actor", "acting_institution"),
        "can": {t.name for t in allowed_transitions(consultation, request.user)},
        "is_requester": access.has_perm(
            Perm.REQUEST_SERVICE, consultation.requester_institution_id
        ),
        "is_invited": any(
            access.has_perm(Perm.PERFORM_SERVICE, i.institution_id) for i in invitees
        ),
        "schedule_form": ScheduleForm(
            initial={
                "scheduled_at": consultation.proposed_at,
                "video_link": consultation.video_link,
            }
        ),
        "reason_form": ReasonForm(),
        "opinion_form": OpinionForm(),
        "contribution_form": ContributionForm(),
        "rating_form": RatingForm(),
    }
    return render(request, "referrals/consultation_detail.html", context)


@login_required
@require_POST
def consultation_act(request: HttpRequest, id) -> HttpResponse:
    consultation = _load(request, id)
    step = request.POST.get("action", "")
    user = request.user
    forms_by_step = {
        "accept": ScheduleForm,
        "reject": ReasonForm,
        "cancel": ReasonForm,
        "sign": OpinionForm,
        "contribute": ContributionForm,
        "rate": RatingForm,
    }
    if step not in forms_by_step:
        raise Http404("no such step")
    form = forms_by_step[step](request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("referrals:consultation-detail", id=consultation.external_id)
    data = form.cleaned_data
    calls = {
        "accept": lambda: actions.do_accept_consultation(
            actor=user,
            consultation=consultation,
            scheduled_at=data["scheduled_at"],
            video_link=data["video_link"],
        ),
        "reject": lambda: actions.do_reject_consultation(
            actor=user, consultation=consultation, reason=data["reason"]
        ),
        "cancel": lambda: actions.do_cancel_consultation(
            actor=user, consultation=consultation, reason=data["reason"]
        ),
        "sign": lambda: actions.do_sign_opinion(
            actor=user, consultation=consultation, opinion=data["opinion"]
        ),
        "contribute": lambda: actions.do_contribute_opinion(
            actor=user, consultation=consultation, text=data["text"]
        ),
        "rate": lambda: actions.do_rate_consultation(
            actor=user, consultation=consultation, rating=data["rating"], comment=data["comment"]
        ),
    }
    run_action(request, None, calls[step], _("Recorded."))
    return redirect("referrals:consultation-detail", id=consultation.external_id)
