"""Writes of the diagnostics app. Each action runs in one transaction with its audit rows; the
workflow engine writes the history and fires the notifications after commit."""

from lianxin.diagnostics.actions.critical import (
    do_acknowledge_critical_result,
    do_raise_critical_result,
)
from lianxin.diagnostics.actions.orders import (
    do_cancel_exam_order,
    do_mark_report_viewed,
    do_order_exam,
    do_perform_exam,
    do_record_exam_images,
    do_schedule_exam,
)
from lianxin.diagnostics.actions.reading import (
    Value,
    do_amend_report,
    do_claim_study,
    do_draft_report,
    do_overflow_study,
    do_release_study,
    do_sign_report,
    requires_second_reader,
)
from lianxin.diagnostics.actions.recognition import do_recognise_result
from lianxin.diagnostics.actions.specimens import do_advance_specimen, do_register_specimen

__all__ = [
    "Value",
    "do_acknowledge_critical_result",
    "do_advance_specimen",
    "do_amend_report",
    "do_cancel_exam_order",
    "do_claim_study",
    "do_draft_report",
    "do_mark_report_viewed",
    "do_order_exam",
    "do_overflow_study",
    "do_perform_exam",
    "do_raise_critical_result",
    "do_recognise_result",
    "do_record_exam_images",
    "do_register_specimen",
    "do_release_study",
    "do_schedule_exam",
    "do_sign_report",
    "requires_second_reader",
]
