"""People pages: the practitioner list and page, adding a practitioner, granting a role.

Views parse input and call actions; every row comes through ``visible_to`` / ``get_for_user``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.errors import ActionError
from lianxin.core.permissions import Perm
from lianxin.network.forms import apply_errors
from lianxin.network.models import Department, Institution
from lianxin.network.queries import capabilities_today
from lianxin.network.views import require_perm
from lianxin.workforce.actions import do_create_practitioner, do_grant_membership
from lianxin.workforce.forms import GrantRoleForm, PractitionerFilterForm, PractitionerForm
from lianxin.workforce.models import Practitioner
from lianxin.workforce.queries import search_practitioners

PAGE_SIZE = 25


@login_required
def practitioner_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.VIEW_REGISTRY)
    form = PractitionerFilterForm(request.GET or None)
    practitioners = (
        Practitioner.objects.visible_to(request.user)
        .filter(is_active=True)
        .select_related("institution", "department")
        .prefetch_related("specialties")
        .order_by("institution__name", "name")
    )
    if form.is_valid():
        data = form.cleaned_data
        practitioners = search_practitioners(practitioners, data["q"])
        if data["title"]:
            practitioners = practitioners.filter(title=data["title"])
        if data["institution"]:
            practitioners = practitioners.filter(institution__external_id=data["institution"])
    page = Paginator(practitioners, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx:
        return render(request, "workforce/_practitioner_results.html", context)
    return render(request, "workforce/practitioner_list.html", context)


@login_required
def practitioner_detail(request: HttpRequest, id: str) -> HttpResponse:
    require_perm(request, Perm.VIEW_REGISTRY)
    practitioner = get_for_user(
        Practitioner.objects.select_related("institution", "department"), request.user, id
    )
    available = capabilities_today([practitioner.institution_id]).get(
        practitioner.institution_id, set()
    )
    credentials = practitioner.credentials.select_related("capability").order_by("capability__code")
    return render(
        request,
        "workforce/practitioner_detail.html",
        {
            "practitioner": practitioner,
            "specialties": practitioner.specialties.all(),
            "credentials": credentials,
            "available": available,
        },
    )


def _workforce_institution(request: HttpRequest, institution_id: str) -> Institution:
    institution = get_for_user(Institution, request.user, institution_id)
    if not access_for(request.user).has_perm(Perm.MANAGE_WORKFORCE, institution):
        raise PermissionDenied(
            _("You may not manage the staff of %(inst)s.") % {"inst": institution}
        )
    return institution


@login_required
def practitioner_add(request: HttpRequest, institution: str) -> HttpResponse:
    place = _workforce_institution(request, institution)
    departments = Department.objects.filter(institution=place).order_by("code")
    form = PractitionerForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            practitioner = do_create_practitioner(
                actor=request.user,
                institution=place,
                name=data["name"],
                title=data["title"],
                sex=data["sex"],
                profession=data["profession"],
                licence_number=data["licence_number"] or None,
                department=data["department"],
                specialties=list(data["specialties"]),
                phone=data["phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ActionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Practitioner added."))
            return redirect("workforce:practitioner-detail", id=practitioner.external_id)
    return render(
        request,
        "network/form_page.html",
        {"form": form, "institution": place, "heading": _("Add a practitioner")},
    )


@login_required
@require_POST
def role_grant(request: HttpRequest, institution: str) -> HttpResponse:
    place = _workforce_institution(request, institution)
    form = GrantRoleForm(request.POST, prefix="role")
    if form.is_valid():
        data = form.cleaned_data
        user = get_user_model().objects.filter(username=data["username"].strip()).first()
        if user is None:
            messages.error(request, _("No user has this user name."))
        else:
            try:
                do_grant_membership(
                    actor=request.user,
                    user=user,
                    institution=place,
                    role=data["role"],
                    valid_until=data["valid_until"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            except ActionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Role granted."))
    else:
        messages.error(request, _("Give a user name and a role."))
    return redirect("network:institution-detail", id=place.external_id)
