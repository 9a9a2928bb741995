"""Identity pages: register an unidentified patient, the MPI review queue, merges and unmerges.

Views parse input and call ``identity_actions``; every patient comes through ``visible_to`` /
``get_for_user``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.core.access import access_for, get_for_user
from lianxin.core.adapters import errors_to_messages, page_step, submit
from lianxin.core.inputs import resolve_or_404
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.identity_actions import covers, may_decide, unmerge_blockers
from lianxin.patients.inputs import (
    CANDIDATE_STEPS,
    MERGE_STEPS,
    MergeIntoForm,
    RegisterUnidentifiedForm,
)
from lianxin.patients.matching import offers_for_registration
from lianxin.patients.models import (
    CandidateStatus,
    DuplicateCandidate,
    MergeStatus,
    Patient,
    PatientIdentifier,
    PatientMerge,
)
from lianxin.patients.queries import search_patients

PAGE_SIZE = 20

EVIDENCE_FIELDS = {
    "id_number": gettext_lazy("ID number"),
    "name": gettext_lazy("Name"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Birth date"),
    "phone": gettext_lazy("Phone"),
    "village": gettext_lazy("Village"),
    "record_number": gettext_lazy("Record number"),
}
EVIDENCE_LEVELS = {
    "exact": gettext_lazy("the same"),
    "near": gettext_lazy("one slip apart"),
    "pinyin": gettext_lazy("same reading (homophone or pinyin)"),
    "sound": gettext_lazy("similar sound"),
    "similar": gettext_lazy("similar"),
    "swapped": gettext_lazy("day and month swapped"),
    "typo": gettext_lazy("one digit apart"),
    "different": gettext_lazy("different"),
}


def evidence_for_display(evidence: list[dict]) -> list[dict]:
    return [
        {
            "field": EVIDENCE_FIELDS.get(row["field"], row["field"]),
            "level": EVIDENCE_LEVELS.get(row["level"], row["level"]),
            "weight": row["weight"],
            "for": row["weight"] > 0,
        }
        for row in evidence
    ]


def _require(request: HttpRequest, perm: Perm) -> frozenset[int]:
    access = access_for(request.user)
    if access.is_superuser:
        return frozenset(Institution.objects.values_list("pk", flat=True))
    institutions = access.institutions_with(perm)
    if not institutions:
        raise PermissionDenied(_("Your role does not allow this."))
    return institutions


def _with_identifiers(queryset):
    return queryset.prefetch_related(
        Prefetch("identifiers", queryset=PatientIdentifier.objects.select_related("institution"))
    )


@login_required
def unidentified_new(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.REGISTER_PATIENT)
    form = RegisterUnidentifiedForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and submit(form):
        messages.success(request, form.success)
        return redirect("patients:detail", id=form.result.external_id)
    return render(request, "patients/unidentified_new.html", {"form": form})


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """The MPI administrators' queue: likely duplicates, best first, with each field's evidence."""
    _require(request, Perm.MANAGE_PATIENT_INDEX)
    visible = Patient.objects.visible_to(request.user).filter(merged_into__isnull=True)
    queue = (
        DuplicateCandidate.objects.filter(status=CandidateStatus.OPEN)
        .filter(first__in=visible, second__in=visible)
        .order_by("-score", "id")
    )
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    patients = {
        p.pk: p
        for p in _with_identifiers(Patient.objects.all()).filter(
            pk__in=[pk for row in rows for pk in (row.first_id, row.second_id)]
        )
    }
    items = [
        {
            "candidate": row,
            "first": patients[row.first_id],
            "second": patients[row.second_id],
            "evidence": evidence_for_display(row.evidence),
        }
        for row in rows
    ]
    waiting = (
        PatientMerge.objects.filter(status=MergeStatus.PROPOSED)
        .select_related("source", "target", "proposed_by", "proposed_for")
        .order_by("-created_at")
    )
    waiting = [
        m for m in waiting if may_decide(request.user, m) or m.proposed_by_id == request.user.pk
    ]
    recent = (
        PatientMerge.objects.filter(status=MergeStatus.COMPLETED, target__in=visible)
        .select_related("source", "target", "proposed_by", "decided_by")
        .order_by("-merged_at")[:10]
    )
    return render(
        request,
        "patients/duplicates.html",
        {
            "page": page,
            "items": items,
            "waiting": [{"merge": m, "may_decide": may_decide(request.user, m)} for m in waiting],
            "recent": [{"merge": m, "blockers": unmerge_blockers(m)} for m in recent],
            "open_count": queue.count(),
        },
    )


def _load_candidate(request: HttpRequest, public_id) -> DuplicateCandidate:
    _require(request, Perm.MANAGE_PATIENT_INDEX)
    return resolve_or_404(
        DuplicateCandidate.objects.select_related("first", "second"), request.user, public_id
    )


def _load_merge(request: HttpRequest, public_id) -> PatientMerge:
    _require(request, Perm.MANAGE_PATIENT_INDEX)
    return resolve_or_404(PatientMerge, request.user, public_id)


def _to_queue(_row) -> str:
    return reverse("patients:duplicates")


candidate_steps = {
    name: page_step(form, load=_load_candidate, done=_to_queue)
    for name, form in CANDIDATE_STEPS.items()
}
merge_steps = {
    name: page_step(form, load=_load_merge, done=_to_queue) for name, form in MERGE_STEPS.items()
}
candidate_merge = candidate_steps["merge"]
candidate_dismiss = candidate_steps["dismiss"]


@login_required
def merge_decide(request: HttpRequest, id, decision: str) -> HttpResponse:
    """``/patients/merges/<id>/confirm|reject|unmerge/``: one step view per decision."""
    step = merge_steps.get(decision)
    if step is None:
        raise Http404("unknown decision")
    return step(request, id)


@login_required
def resolve(request: HttpRequest, id) -> HttpResponse:
    """Find the real patient for this record (an unidentified one) and merge it there."""
    _require(request, Perm.MANAGE_PATIENT_INDEX)
    patient = get_for_user(_with_identifiers(Patient.objects.all()), request.user, id)
    if request.method == "POST":
        form = MergeIntoForm(request.POST, user=request.user, target=patient)
        if submit(form):
            messages.success(request, form.success)
        else:
            errors_to_messages(request, form)
        return redirect("patients:duplicates")
    q = request.GET.get("q", "").strip()
    results = []
    if q:
        results = list(
            _with_identifiers(search_patients(Patient.objects.visible_to(request.user), q)).exclude(
                pk=patient.pk
            )[:20]
        )
    return render(
        request,
        "patients/resolve.html",
        {"patient": patient, "q": q, "results": results, "mine": covers(request.user, patient)},
    )


def registration_offers(user, data: dict) -> list:
    """Possible matches for the registration form's data, each with its evidence for display."""
    offers = offers_for_registration(
        user,
        name=data.get("name", ""),
        sex=data.get("sex", ""),
        birth_date=data.get("birth_date"),
        id_number=data.get("id_number") or None,
        phone=data.get("phone", ""),
        address=data.get("address", ""),
        mrn=data.get("mrn") or None,
    )
    for offer in offers:
        offer.display = evidence_for_display([e.as_dict() for e in offer.candidate.evidence])
    return offers
