"""Registry pages: institutions (list and page), communities, and the figures page.

Views parse input and call actions; every row comes through ``visible_to`` / ``get_for_user``. No
page here lists a patient: the health commission reads these pages too.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.adapters import page_step, submit
from lianxin.core.errors import ActionError
from lianxin.core.models import AuditEvent
from lianxin.core.permissions import Perm
from lianxin.network.actions import (
    can_manage_institution,
    do_change_equipment_status,
    do_create_department,
    do_register_equipment,
)
from lianxin.network.forms import (
    DepartmentForm,
    EquipmentForm,
    EquipmentStatusForm,
    InstitutionFilterForm,
    apply_errors,
)
from lianxin.network.inputs import EditAEForm, RegisterAEForm, SetAEActiveForm
from lianxin.network.models import (
    AERole,
    Agreement,
    ApplicationEntity,
    Community,
    Department,
    Equipment,
    Institution,
    Tier,
)
from lianxin.network.queries import community_tree, institution_capabilities, registry_figures
from lianxin.workforce.forms import GrantRoleForm
from lianxin.workforce.models import Practitioner
from lianxin.workforce.queries import practitioners_by_title

PAGE_SIZE = 25


def require_perm(request: HttpRequest, perm: Perm) -> None:
    if not access_for(request.user).has_perm(perm):
        raise PermissionDenied(_("Your role does not give access to this page."))


@login_required
def institution_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.VIEW_REGISTRY)
    form = InstitutionFilterForm(request.GET or None)
    institutions = (
        Institution.objects.visible_to(request.user)
        .select_related("parent")
        .annotate(n_practitioners=Count("practitioners", distinct=True))
        .order_by("division_code", "name")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            institutions = institutions.filter(
                Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__iexact=q)
            )
        if data["tier"]:
            institutions = institutions.filter(tier=data["tier"])
        if data["community"]:
            institutions = institutions.filter(
                community_memberships__community__external_id=data["community"]
            )
    page = Paginator(institutions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "communities": Community.objects.visible_to(request.user).order_by("name"),
    }
    if request.htmx:
        return render(request, "network/_institution_results.html", context)
    return render(request, "network/institution_list.html", context)


@login_required
def institution_detail(request: HttpRequest, id: str) -> HttpResponse:
    require_perm(request, Perm.VIEW_REGISTRY)
    institution = get_for_user(Institution.objects.select_related("parent"), request.user, id)
    user = request.user
    access = access_for(user)
    can_manage = can_manage_institution(user, institution)
    departments = Department.objects.filter(institution=institution).order_by("code")
    equipment = (
        Equipment.objects.filter(institution=institution)
        .select_related("capability", "department")
        .order_by("capability__code", "name")
    )
    practitioners = (
        Practitioner.objects.visible_to(user)
        .filter(institution=institution, is_active=True)
        .select_related("department")
        .order_by("name")
    )
    agreements = (
        Agreement.objects.visible_to(user)
        .filter(Q(party_a=institution) | Q(party_b=institution))
        .select_related("party_a", "party_b")
    )
    communities = (
        Community.objects.visible_to(user)
        .filter(members__member_institution=institution)
        .select_related("lead")
        .distinct()
    )
    context = {
        "institution": institution,
        "departments": departments,
        "equipment": equipment,
        "capabilities": institution_capabilities(institution),
        "practitioner_groups": practitioners_by_title(practitioners),
        "agreements": agreements,
        "communities": communities,
        "children": Institution.objects.visible_to(user).filter(parent=institution),
        "can_manage": can_manage,
        "can_manage_workforce": access.has_perm(Perm.MANAGE_WORKFORCE, institution),
        "status_form": EquipmentStatusForm(),
    }
    if can_manage:
        context["application_entities"] = (
            ApplicationEntity.objects.filter(institution=institution)
            .select_related("equipment")
            .order_by("-is_active", "ae_title")
        )
    if can_manage:
        context["department_form"] = DepartmentForm(prefix="dept")
        context["equipment_form"] = EquipmentForm(prefix="eq", departments=departments)
    if context["can_manage_workforce"]:
        context["role_form"] = GrantRoleForm(prefix="role")
    return render(request, "network/institution_detail.html", context)


def _manageable(request: HttpRequest, id: str) -> Institution:
    institution = get_for_user(Institution, request.user, id)
    if not can_manage_institution(request.user, institution):
        raise PermissionDenied(_("You may not change %(inst)s.") % {"inst": institution})
    return institution


@login_required
def department_add(request: HttpRequest, id: str) -> HttpResponse:
    institution = _manageable(request, id)
    form = DepartmentForm(request.POST or None, prefix="dept")
    if request.method == "POST" and form.is_valid():
        try:
            do_create_department(actor=request.user, institution=institution, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except ActionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Department added."))
            return redirect("network:institution-detail", id=institution.external_id)
    return render(
        request,
        "network/form_page.html",
        {"form": form, "institution": institution, "heading": _("Add a department")},
    )


@login_required
def equipment_add(request: HttpRequest, id: str) -> HttpResponse:
    institution = _manageable(request, id)
    departments = Department.objects.filter(institution=institution).order_by("code")
    form = EquipmentForm(request.POST or None, prefix="eq", departments=departments)
    if request.method == "POST" and form.is_valid():
        try:
            do_register_equipment(actor=request.user, institution=institution, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except ActionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Equipment registered."))
            return redirect("network:institution-detail", id=institution.external_id)
    return render(
        request,
        "network/form_page.html",
        {"form": form, "institution": institution, "heading": _("Register equipment")},
    )


@login_required
@require_POST
def equipment_status(request: HttpRequest, id: str) -> HttpResponse:
    equipment = get_for_user(Equipment.objects.select_related("institution"), request.user, id)
    form = EquipmentStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status from the list."))
    else:
        try:
            do_change_equipment_status(
                actor=request.user,
                equipment=equipment,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except ActionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Status changed."))
    return redirect("network:institution-detail", id=equipment.institution.external_id)


@login_required
def community_detail(request: HttpRequest, id: str) -> HttpResponse:
    require_perm(request, Perm.VIEW_REGISTRY)
    community = get_for_user(Community.objects.select_related("lead"), request.user, id)
    parents = (
        Community.objects.visible_to(request.user)
        .filter(members__member_community=community)
        .distinct()
    )
    visible = set(Institution.objects.visible_to(request.user).values_list("pk", flat=True))
    return render(
        request,
        "network/community_detail.html",
        {
            "community": community,
            "tree": community_tree(community),
            "parents": parents,
            "visible_ids": visible,
            "visible_community_ids": set(
                Community.objects.visible_to(request.user).values_list("pk", flat=True)
            ),
            "agreements": Agreement.objects.visible_to(request.user)
            .filter(community=community)
            .select_related("party_a", "party_b"),
        },
    )


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """Aggregates only: counts per tier, title and equipment status; never a row about a person."""
    require_perm(request, Perm.VIEW_AGGREGATES)
    institutions = Institution.objects.visible_to(request.user).exclude(tier=Tier.COMMISSION)
    return render(
        request,
        "network/figures.html",
        {
            "figures": registry_figures(institutions),
            "communities": Community.objects.visible_to(request.user)
            .select_related("lead")
            .annotate(n_members=Count("members")),
        },
    )


# The institution's DICOM devices (application entities): the same permission as its equipment.


@login_required
def ae_add(request: HttpRequest, id: str) -> HttpResponse:
    institution = _manageable(request, id)
    form = RegisterAEForm(request.POST or None, user=request.user, target=institution)
    if request.method == "POST" and submit(form):
        messages.success(request, form.success)
        return redirect("network:institution-detail", id=institution.external_id)
    return render(
        request,
        "network/form_page.html",
        {"form": form, "institution": institution, "heading": _("Register a DICOM device")},
    )


def _manageable_ae(request: HttpRequest, id) -> ApplicationEntity:
    entity = get_for_user(
        ApplicationEntity.objects.select_related("institution", "equipment"), request.user, id
    )
    if not can_manage_institution(request.user, entity.institution):
        raise PermissionDenied(_("You may not change %(inst)s.") % {"inst": entity.institution})
    return entity


@login_required
def ae_edit(request: HttpRequest, id: str) -> HttpResponse:
    entity = _manageable_ae(request, id)
    form = EditAEForm(request.POST or None, user=request.user, target=entity)
    if request.method == "POST" and submit(form):
        messages.success(request, form.success)
        return redirect("network:institution-detail", id=entity.institution.external_id)
    history = [
        {
            "event": event,
            "before": _ae_values(event.before),
            "after": _ae_values(event.after),
        }
        for event in AuditEvent.objects.filter(
            target_type=ApplicationEntity._meta.label_lower, target_id=str(entity.external_id)
        )
        .select_related("actor")
        .order_by("-seq")[:50]
    ]
    return render(
        request,
        "network/ae_edit.html",
        {
            "form": form,
            "entity": entity,
            "institution": entity.institution,
            "history": history,
            "heading": _("DICOM device %(ae)s") % {"ae": entity.ae_title},
        },
    )


def _ae_values(values: dict | None) -> list[tuple[str, str]]:
    """An audit row's AE fields as the page names them (the equipment by its name)."""
    out = []
    for key, value in (values or {}).items():
        try:
            label = str(ApplicationEntity._meta.get_field(key).verbose_name)
        except Exception:
            label = key
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif key == "role" and value:
            value = dict(AERole.choices).get(value, value)
        elif key == "equipment" and value:
            named = Equipment.objects.filter(external_id=value).values_list("name", flat=True)
            value = named.first() or value
        out.append((label, "—" if value in (None, "") else str(value)))
    return out


ae_active = page_step(
    SetAEActiveForm,
    load=_manageable_ae,
    done=lambda entity: reverse("network:ae-edit", kwargs={"id": entity.external_id}),
)
