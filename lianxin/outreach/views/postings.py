"""Postings: the list, a new posting, one posting with its activity, and the roster calendar."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.adapters import run_action
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution, Tier
from lianxin.outreach import actions, queries
from lianxin.outreach.actions.postings import can_record_activity
from lianxin.outreach.forms import ActivityForm, CancelForm, PeriodForm, PostingForm
from lianxin.outreach.models import Posting
from lianxin.outreach.rules import PostingKind
from lianxin.outreach.views.common import may_manage, require_registry
from lianxin.workforce.models import Practitioner

POSTING_RELATED = ("practitioner", "home_institution", "host_institution", "host_department")


@login_required
def posting_list(request: HttpRequest) -> HttpResponse:
    require_registry(request)
    postings = Posting.objects.visible_to(request.user).select_related(*POSTING_RELATED)
    kind = request.GET.get("kind", "")
    if kind in PostingKind.values:
        postings = postings.filter(kind=kind)
    when = request.GET.get("when", "current")
    today = timezone.localdate()
    if when == "current":
        postings = postings.filter(is_cancelled=False, ends_on__gte=today)
    page = Paginator(postings.order_by("starts_on", "pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/postings.html",
        {
            "page": page,
            "kind": kind,
            "when": when,
            "kinds": PostingKind.choices,
            "today": today,
            "can_post": access_for(request.user).has_perm(Perm.MANAGE_OUTREACH),
        },
    )


@login_required
def posting_create(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    managed = access.institutions_with(Perm.MANAGE_OUTREACH)
    if not (managed or access.is_superuser):
        raise PermissionDenied(_("Your role does not manage outreach."))
    practitioners = (
        Practitioner.objects.visible_to(request.user)
        .filter(is_active=True)
        .select_related("institution")
        .order_by("institution__name", "name")
    )
    if not access.is_superuser:
        practitioners = practitioners.filter(institution_id__in=managed)
    hosts = (
        Institution.objects.visible_to(request.user)
        .filter(is_active=True)
        .exclude(tier=Tier.COMMISSION)
        .order_by("tier", "name")
    )
    form = PostingForm(request.POST or None, practitioners=practitioners, hosts=hosts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Posting] = []
        if run_action(
            request,
            form,
            lambda: created.append(
                actions.do_create_posting(
                    actor=request.user,
                    practitioner=data["practitioner"],
                    host_institution=data["host_institution"],
                    host_department=data["host_department"],
                    kind=data["kind"],
                    management_area=data["management_area"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    role_at_host=data["role_at_host"],
                    purpose=data["purpose"],
                )
            ),
            _("Posting saved."),
        ):
            return redirect("outreach:posting", id=created[0].external_id)
    return render(request, "outreach/posting_form.html", {"form": form})


@login_required
def posting_detail(request: HttpRequest, id) -> HttpResponse:
    posting = get_for_user(Posting.objects.select_related(*POSTING_RELATED), request.user, id)
    may_record = can_record_activity(request.user, posting) and not posting.is_cancelled
    manages = may_manage(request.user, posting.home_institution_id, posting.host_institution_id)
    activity_form = ActivityForm(
        request.POST if request.method == "POST" else None,
        initial={"on": min(timezone.localdate(), posting.ends_on)},
    )
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied(
                _("Only the posted practitioner or the outreach office records this.")
            )
        if activity_form.is_valid():
            data = activity_form.cleaned_data
            if run_action(
                request,
                activity_form,
                lambda: actions.do_record_activity(
                    actor=request.user,
                    posting=posting,
                    on=data["on"],
                    kind=data["kind"],
                    sessions=data["sessions"],
                    patients=data["patients"],
                    note=data["note"],
                ),
                _("Activity recorded."),
            ):
                return redirect("outreach:posting", id=posting.external_id)
    activities = posting.activities.select_related("recorded_by").order_by("-on", "-pk")
    emergency = None
    if apps.is_installed("lianxin.emergency"):
        # A read of the emergency app's aggregate: the minutes this stationing saved.
        from lianxin.emergency.queries import may_see_figures, posting_savings

        emergency = {**posting_savings(posting), "link": may_see_figures(request.user)}
    return render(
        request,
        "outreach/posting_detail.html",
        {
            "posting": posting,
            "activities": activities,
            "activity_form": activity_form if may_record else None,
            "cancel_form": CancelForm() if manages and not posting.is_cancelled else None,
            "may_change_period": manages and not posting.is_cancelled,
            "emergency": emergency,
        },
    )


@login_required
def posting_period(request: HttpRequest, id) -> HttpResponse:
    """Extend or cut short a posting. A period that overlaps another posting of the same
    practitioner is refused with the action's message, naming that posting."""
    posting = get_for_user(Posting.objects.select_related(*POSTING_RELATED), request.user, id)
    if not may_manage(request.user, posting.home_institution_id, posting.host_institution_id):
        raise PermissionDenied(_("Your role does not manage outreach for these institutions."))
    form = PeriodForm(
        request.POST if request.method == "POST" else None,
        initial={"starts_on": posting.starts_on, "ends_on": posting.ends_on},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_action(
            request,
            form,
            lambda: actions.do_change_posting_period(
                actor=request.user,
                posting=posting,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            ),
            _("Posting period changed."),
        ):
            return redirect("outreach:posting", id=posting.external_id)
        # The action may have set the new days on the instance before refusing them.
        posting.refresh_from_db()
    return render(request, "outreach/posting_period.html", {"posting": posting, "form": form})


@login_required
@require_POST
def posting_cancel(request: HttpRequest, id) -> HttpResponse:
    posting = get_for_user(Posting, request.user, id)
    form = CancelForm(request.POST)
    reason = form.data.get("reason", "")
    run_action(
        request,
        None,
        lambda: actions.do_cancel_posting(actor=request.user, posting=posting, reason=reason),
        _("Posting cancelled."),
    )
    return redirect("outreach:posting", id=posting.external_id)


def _month(raw: str | None) -> datetime.date:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


@login_required
def roster_view(request: HttpRequest) -> HttpResponse:
    """A month of postings at one host, or of one institution's staff sent out."""
    require_registry(request)
    access = access_for(request.user)
    institutions = (
        Institution.objects.visible_to(request.user)
        .exclude(tier=Tier.COMMISSION)
        .order_by("tier", "name")
    )
    institution = None
    if request.GET.get("institution"):
        institution = get_for_user(Institution, request.user, request.GET["institution"])
    elif access.institution_ids:
        institution = institutions.filter(pk__in=access.institution_ids).first()
    side = "home" if request.GET.get("side") == "home" else "host"
    first = _month(request.GET.get("month"))
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    postings = Posting.objects.visible_to(request.user)
    if institution is not None:
        postings = postings.filter(**{f"{side}_institution": institution})
    else:
        postings = postings.none()
    span, rows = queries.roster(postings, first, last)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    return render(
        request,
        "outreach/roster.html",
        {
            "institutions": institutions,
            "institution": institution,
            "side": side,
            "first": first,
            "span": span,
            "rows": rows,
            "previous": previous.strftime("%Y-%m"),
            "next": (last + datetime.timedelta(days=1)).strftime("%Y-%m"),
            "today": timezone.localdate(),
        },
    )
