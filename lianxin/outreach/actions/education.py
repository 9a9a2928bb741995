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
