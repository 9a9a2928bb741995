"""Patient pages: search, register, the 360° page, edit and emergency (break-glass) access.

Views parse input and call actions; every row comes through ``visible_to`` / ``get_for_user``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lianxin.core.access import access_for, get_for_user
from lianxin.core.errors import ActionError
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.actions import (
    do_break_glass,
    do_register_patient,
    do_update_patient,
    record_patient_read,
    record_patients_listed,
)
from lianxin.patients.forms import BreakGlassForm, EditForm, RegisterForm, apply_errors
from lianxin.patients.identity_actions import queue_registration_candidates
from lianxin.patients.identity_views import registration_offers
from lianxin.patients.models import Patient
from lianxin.patients.queries import (
    find_for_break_glass,
    looks_like_id_number,
    search_kind,
    search_patients,
)
from lianxin.patients.rules import BREAK_GLASS_DURATION
from lianxin.patients.sections import render_sections

PAGE_SIZE = 25


def _require(request: HttpRequest, perm: Perm) -> frozenset[int]:
    """The institutions where the user holds ``perm``; a 403 when there are none."""
    access = access_for(request.user)
    if access.is_superuser:
        return frozenset(Institution.objects.values_list("pk", flat=True))
    institutions = access.institutions_with(perm)
    if not institutions:
        raise PermissionDenied(_("Your role does not give access to patient records."))
    return institutions


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The search box posts its text, so that an ID number never appears in a URL (and so in no
    access log or browser history); paging through a name search uses the address."""
    _require(request, Perm.VIEW_PATIENT)
    if request.method == "POST":
        q = request.POST.get("q", "").strip()
    else:
        q = request.GET.get("q", "").strip()
        if looks_like_id_number(q):
            messages.warning(
                request,
                _("Search by ID number with the search box; it is not sent in the address."),
            )
            return redirect("patients:search")
    patients = search_patients(Patient.objects.visible_to(request.user), q).prefetch_related(
        "identifiers__institution"
    )
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    record_patients_listed(
        actor=request.user, patients=list(page.object_list), channel="web", search=search_kind(q)
    )
    context = {"q": q, "page": page, "q_in_links": not looks_like_id_number(q)}
    if request.htmx:
        return render(request, "patients/_results.html", context)
    return render(request, "patients/search.html", context)


@login_required
def register(request: HttpRequest) -> HttpResponse:
    allowed = _require(request, Perm.REGISTER_PATIENT)
    institutions = Institution.objects.filter(pk__in=allowed).order_by("name")
    form = RegisterForm(request.POST or None, institutions=institutions)
    offers = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        offers = registration_offers(request.user, data)
    if (
        request.method == "POST"
        and form.is_valid()
        and (not offers or request.POST.get("confirm_new"))
    ):
        data = form.cleaned_data
        try:
            patient, created = do_register_patient(
                actor=request.user,
                institution=data["institution"],
                name=data["name"],
                sex=data["sex"],
                birth_date=data["birth_date"],
                id_number=data["id_number"] or None,
                phone=data["phone"],
                address=data["address"],
                mrn=data["mrn"] or None,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            if created and offers:
                queue_registration_candidates(patient, [offer.candidate for offer in offers])
            if created:
                messages.success(request, _("Registered %(name)s.") % {"name": patient.name})
            else:
                messages.info(
                    request,
                    _("%(name)s was already known; your record number was added.")
                    % {"name": patient.name},
                )
            if Patient.objects.visible_to(request.user).filter(pk=patient.pk).exists():
                return redirect("patients:detail", id=patient.external_id)
            return redirect("patients:register")
        offers = []
    return render(request, "patients/register.html", {"form": form, "offers": offers})


@login_required
def detail(request: HttpRequest, id: str) -> HttpResponse:
    try:
        patient = get_for_user(
            Patient.objects.prefetch_related("identifiers__institution"), request.user, id
        )
    except Http404:
        # An old link to a merged record opens the survivor, for those who may see it.
        merged = Patient.objects.filter(external_id=id, merged_into__isnull=False).first()
        if merged is None:
            raise
        survivor = get_for_user(Patient, request.user, merged.survivor().external_id)
        messages.info(
            request,
            _("%(name)s was merged into this record.") % {"name": merged.name},
        )
        return redirect("patients:detail", id=survivor.external_id)
    record_patient_read(actor=request.user, patient=patient, channel="web")
    access = access_for(request.user)
    can_edit = access.is_superuser or any(
        access.has_perm(Perm.EDIT_PATIENT, identifier.institution_id)
        for identifier in patient.identifiers.all()
    )
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "identifiers": patient.identifiers.all(),
            "sections": render_sections(request, patient),
            "can_edit": can_edit,
            "can_identify": access.has_perm(Perm.MANAGE_PATIENT_INDEX),
            "arrival": getattr(patient, "arrival", None) if patient.is_unidentified else None,
        },
    )


@login_required
def edit(request: HttpRequest, id: str) -> HttpResponse:
    patient = get_for_user(Patient, request.user, id)
    initial = {
        "name": patient.name,
        "id_number": patient.id_number or "",
        "sex": patient.sex,
        "birth_date": patient.birth_date,
        "phone": patient.phone,
        "address": patient.address,
    }
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_update_patient(
                actor=request.user,
                patient=patient,
                name=data["name"],
                sex=data["sex"],
                birth_date=data["birth_date"],
                id_number=data["id_number"] or None,
                phone=data["phone"],
                address=data["address"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ActionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(
                request, _("Saved the changes to %(name)s's details.") % {"name": patient.name}
            )
            return redirect("patients:detail", id=patient.external_id)
    return render(request, "patients/edit.html", {"form": form, "patient": patient})


@login_required
def break_glass(request: HttpRequest) -> HttpResponse:
    allowed = _require(request, Perm.BREAK_GLASS)
    institutions = Institution.objects.filter(pk__in=allowed).order_by("name")
    form = BreakGlassForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = find_for_break_glass(data["id_number"])
        if patient is None:
            form.add_error("id_number", _("No patient is registered with this ID number."))
        else:
            try:
                do_break_glass(
                    actor=request.user,
                    patient=patient,
                    institution=data["institution"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except ActionError as exc:
                form.add_error(None, str(exc))
            else:
                hours = int(BREAK_GLASS_DURATION.total_seconds() // 3600)
                messages.warning(
                    request,
                    _("Emergency access granted for %(hours)d hours; it has been recorded.")
                    % {"hours": hours},
                )
                return redirect("patients:detail", id=patient.external_id)
    return render(request, "patients/break_glass.html", {"form": form})
