"""Remote education (远程教育): the courses, a new course, a course with its sessions, and a
session with each institution's attendance (person-times) and assessment results."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.access import access_for, get_for_user
from lianxin.core.adapters import run_action
from lianxin.network.models import Institution, Tier
from lianxin.outreach import actions
from lianxin.outreach.forms import AttendanceForm, CourseForm, SessionForm
from lianxin.outreach.models import Course, EducationSession
from lianxin.outreach.views.common import (
    is_outreach_office,
    may_manage,
    outreach_offices,
    require_registry,
)
from lianxin.workforce.models import Practitioner


def _institutions(user) -> QuerySet:
    return (
        Institution.objects.visible_to(user)
        .filter(is_active=True)
        .exclude(tier=Tier.COMMISSION)
        .order_by("tier", "name")
    )


def _totals(queryset: QuerySet, prefix: str = "") -> QuerySet:
    return queryset.annotate(
        attendees=Sum(f"{prefix}attendance__attendees"),
        assessed=Sum(f"{prefix}attendance__assessed"),
        passed=Sum(f"{prefix}attendance__passed"),
    )


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    require_registry(request)
    courses = _totals(
        Course.objects.visible_to(request.user).select_related("provider"), "sessions__"
    ).annotate(session_count=Count("sessions", distinct=True))
    page = Paginator(courses.order_by("-starts_on", "pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/courses.html",
        {"page": page, "can_create": is_outreach_office(request.user)},
    )


@login_required
def course_create(request: HttpRequest) -> HttpResponse:
    managed = outreach_offices(request)
    providers = _institutions(request.user)
    if not access_for(request.user).is_superuser:
        providers = providers.filter(pk__in=managed)
    form = CourseForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Course] = []
        if run_action(
            request,
            form,
            lambda: created.append(
                actions.do_create_course(
                    actor=request.user,
                    provider=data["provider"],
                    title=data["title"],
                    topic=data["topic"],
                    starts_on=data["starts_on"],
                )
            ),
            _("Course saved."),
        ):
            return redirect("outreach:course", id=created[0].external_id)
    return render(request, "outreach/course_form.html", {"form": form, "heading": _("New course")})


@login_required
def course_detail(request: HttpRequest, id) -> HttpResponse:
    """The course and its sessions; its provider's office edits it and records sessions."""
    require_registry(request)
    user = request.user
    course = get_for_user(Course.objects.select_related("provider"), user, id)
    editable = may_manage(user, course.provider_id)
    posted = request.POST.get("form") if request.method == "POST" else None
    if posted is not None and not editable:
        raise PermissionDenied(_("Your role does not manage outreach for these institutions."))
    course_form = session_form = None
    if editable:
        course_form = CourseForm(
            request.POST if posted == "course" else None,
            prefix="course",
            initial={"title": course.title, "topic": course.topic, "starts_on": course.starts_on},
        )
        session_form = SessionForm(
            request.POST if posted == "session" else None,
            prefix="session",
            initial={"held_on": timezone.localdate()},
            lecturers=Practitioner.objects.visible_to(user)
            .filter(is_active=True)
            .select_related("institution")
            .order_by("institution__name", "name"),
        )
        form = {"course": course_form, "session": session_form}.get(posted or "")
        if posted is not None and form is None:
            raise PermissionDenied(_("Choose a form to send."))
        if form is not None and form.is_valid():
            target = _save_course_form(request, course, posted, form)
            if target is not None:
                return target
    sessions = _totals(course.sessions.select_related("lecturer")).order_by("-held_on", "pk")
    return render(
        request,
        "outreach/course_detail.html",
        {
            "course": course,
            "sessions": sessions,
            "course_form": course_form,
            "session_form": session_form,
        },
    )


def _save_course_form(
    request: HttpRequest, course: Course, posted: str, form
) -> HttpResponse | None:
    """Send a valid course or session form to its action; where to go next, or None to show
    the form again with the action's errors."""
    data = form.cleaned_data
    if posted == "course":
        saved = run_action(
            request,
            form,
            lambda: actions.do_update_course(
                actor=request.user,
                course=course,
                title=data["title"],
                topic=data["topic"],
                starts_on=data["starts_on"],
            ),
            _("Course saved."),
        )
        return redirect("outreach:course", id=course.external_id) if saved else None
    created: list[EducationSession] = []
    saved = run_action(
        request,
        form,
        lambda: created.append(
            actions.do_record_session(
                actor=request.user,
                course=course,
                held_on=data["held_on"],
                topic=data["topic"],
                lecturer=data["lecturer"],
                is_live=data["is_live"],
            )
        ),
        _("Session recorded; now enter who attended."),
    )
    return redirect("outreach:session", id=created[0].external_id) if saved else None


@login_required
def session_detail(request: HttpRequest, id) -> HttpResponse:
    """A session's attendance per institution and its assessment results; the provider's
    office records them (again for an institution: the new figures replace the old)."""
    require_registry(request)
    user = request.user
    session = get_for_user(
        EducationSession.objects.select_related("course__provider", "lecturer"), user, id
    )
    editable = may_manage(user, session.course.provider_id)
    if request.method == "POST" and not editable:
        raise PermissionDenied(_("Your role does not manage outreach for these institutions."))
    form = None
    if editable:
        form = AttendanceForm(
            request.POST if request.method == "POST" else None,
            institutions=_institutions(user),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if run_action(
                request,
                form,
                lambda: actions.do_record_attendance(actor=user, session=session, **data),
                _("Attendance recorded."),
            ):
                return redirect("outreach:session", id=session.external_id)
    rows = session.attendance.select_related("institution").order_by(
        "institution__tier", "institution__name"
    )
    totals = rows.aggregate(
        attendees=Sum("attendees"), assessed=Sum("assessed"), passed=Sum("passed")
    )
    return render(
        request,
        "outreach/session_detail.html",
        {"session": session, "rows": rows, "totals": totals, "form": form},
    )
