"""Remote education (远程教育): courses, sessions and who attended from where."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.network.models import Institution
from lianxin.outreach.actions.common import (
    check_not_future,
    check_reachable,
    clean_text,
    require_outreach,
)
from lianxin.outreach.models import Course, EducationSession, SessionAttendance
from lianxin.workforce.models import Practitioner

MAX_ATTENDEES = 5000


@dataclass(frozen=True)
class Attendance:
    institution: Institution
    attendees: int
    assessed: int = 0
    passed: int = 0


def do_create_course(
    *, actor: Any, provider: Institution, title: str, starts_on: datetime.date, topic: str = ""
) -> Course:
    require_outreach(actor, provider)
    title = clean_text(title)
    if not title:
        raise ValidationError({"title": [_("Give the course a title.")]})
    if not isinstance(starts_on, datetime.date):
        raise ValidationError({"starts_on": [_("Give the first day.")]})
    with transaction.atomic():
        course = Course.objects.create(
            provider=provider, title=title[:120], topic=clean_text(topic)[:80], starts_on=starts_on
        )
        audit.record(
            "outreach.course.create",
            actor=actor,
            target=course,
            institution=provider,
            after={"title": course.title, "starts_on": starts_on},
        )
    return course


def do_update_course(
    *,
    actor: Any,
    course: Course,
    title: str,
    starts_on: datetime.date,
    topic: str = "",
) -> Course:
    """Correct a course's title, topic or first day (no later than its first session)."""
    require_outreach(actor, course.provider_id)
    title = clean_text(title)
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the course a title.")]
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = [_("Give the first day.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        first = locked.sessions.order_by("held_on").values_list("held_on", flat=True).first()
        if first is not None and starts_on > first:
            message = _("The first session was held on %(day)s; the course cannot start later.")
            raise ValidationError({"starts_on": [message % {"day": first.isoformat()}]})
        before = {"title": locked.title, "topic": locked.topic, "starts_on": locked.starts_on}
        locked.title, locked.topic, locked.starts_on = (
            title[:120],
            clean_text(topic)[:80],
            starts_on,
        )
        after = {"title": locked.title, "topic": locked.topic, "starts_on": locked.starts_on}
        changed = [key for key in after if after[key] != before[key]]
        if not changed:
            return locked
        locked.save(update_fields=["title", "topic", "starts_on", "updated_at"])
        audit.record(
            "outreach.course.update",
            actor=actor,
            target=locked,
            institution=locked.provider_id,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return locked


def do_record_attendance(
    *,
    actor: Any,
    session: EducationSession,
    institution: Institution,
    attendees: int,
    assessed: int = 0,
    passed: int = 0,
) -> SessionAttendance:
    """One institution's attendance at a session (person-times) and its assessment results:
    how many were assessed and how many passed. Entered again, it replaces the earlier figures
    (the assessment often comes in after the session)."""
    require_outreach(actor, session.course.provider_id)
    errors: dict[str, list[str]] = {}
    numbers = {"attendees": attendees, "assessed": assessed, "passed": passed}
    for field, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ATTENDEES:
            errors[field] = [_("A whole number from 0 to %(n)d.") % {"n": MAX_ATTENDEES}]
    if not errors:
        if assessed > attendees:
            errors["assessed"] = [_("More were assessed than attended.")]
        elif passed > assessed:
            errors["passed"] = [_("More passed than were assessed.")]
    if errors:
        raise ValidationError(errors)
    check_reachable(actor, institution, "institution")
    with transaction.atomic():
        locked = EducationSession.objects.select_for_update().get(pk=session.pk)
        row = SessionAttendance.objects.filter(session=locked, institution=institution).first()
        before = None
        if row is None:
            row = SessionAttendance(session=locked, institution=institution, **numbers)
        else:
            before = {"attendees": row.attendees, "assessed": row.assessed, "passed": row.passed}
            if before == numbers:
                return row
            for field, value in numbers.items():
                setattr(row, field, value)
        row.save()
        audit.record(
            "outreach.attendance.record",
            actor=actor,
            target=locked,
            institution=session.course.provider_id,
            before=before,
            after={"institution": str(institution.external_id), **numbers},
        )
    return row


def do_record_session(
    *,
    actor: Any,
    course: Course,
    held_on: datetime.date,
    topic: str,
    attendance: Sequence[Attendance] = (),
    lecturer: Practitioner | None = None,
    is_live: bool = True,
) -> EducationSession:
    """A session held, with each site's attendance (person-times) and assessment."""
    require_outreach(actor, course.provider_id)
    topic = clean_text(topic)
    errors: dict[str, list[str]] = {}
    if not topic:
        errors["topic"] = [_("Give the session's topic.")]
    if not isinstance(held_on, datetime.date):
        errors["held_on"] = [_("Give the day.")]
    elif held_on < course.starts_on:
        errors["held_on"] = [_("The course starts later.")]
    seen: set[int] = set()
    for row in attendance:
        if row.institution.pk in seen:
            errors["attendance"] = [_("Each institution appears once.")]
        seen.add(row.institution.pk)
        if not (0 <= row.passed <= row.assessed <= row.attendees <= MAX_ATTENDEES):
            errors["attendance"] = [
                _("Passed ≤ assessed ≤ attendees (at most %(n)d) for each institution.")
                % {"n": MAX_ATTENDEES}
            ]
    if errors:
        raise ValidationError(errors)
    check_not_future(held_on, "held_on")
    for row in attendance:
        check_reachable(actor, row.institution, "attendance")
    with transaction.atomic():
        session = EducationSession.objects.create(
            course=course, held_on=held_on, topic=topic[:120], lecturer=lecturer, is_live=is_live
        )
        SessionAttendance.objects.bulk_create(
            SessionAttendance(
                session=session,
                institution=row.institution,
                attendees=row.attendees,
                assessed=row.assessed,
                passed=row.passed,
            )
            for row in attendance
        )
        audit.record(
            "outreach.session.record",
            actor=actor,
            target=session,
            institution=course.provider_id,
            after={
                "course": str(course.external_id),
                "held_on": held_on,
                "attendees": sum(row.attendees for row in attendance),
            },
        )
    return session
