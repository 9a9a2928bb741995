"""Writes of the outreach app. Each action runs in one transaction with its audit row."""

from lianxin.outreach.actions.building import (
    do_assess_placement,
    do_create_cobuilt_specialty,
    do_create_placement,
    do_introduce_technique,
    do_record_technique_case,
    do_set_specialty_status,
    do_update_cobuilt_specialty,
)
from lianxin.outreach.actions.education import (
    Attendance,
    do_create_course,
    do_record_attendance,
    do_record_session,
    do_update_course,
)
from lianxin.outreach.actions.postings import (
    do_cancel_posting,
    do_change_posting_period,
    do_create_posting,
    do_record_activity,
)

__all__ = [
    "Attendance",
    "do_assess_placement",
    "do_cancel_posting",
    "do_change_posting_period",
    "do_create_cobuilt_specialty",
    "do_create_course",
    "do_create_placement",
    "do_create_posting",
    "do_introduce_technique",
    "do_record_activity",
    "do_record_attendance",
    "do_record_session",
    "do_record_technique_case",
    "do_set_specialty_status",
    "do_update_cobuilt_specialty",
    "do_update_course",
]
