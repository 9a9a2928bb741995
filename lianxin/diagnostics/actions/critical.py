"""Critical results (危急值): raised by the reading centre, sent at once to the ordering doctor
and the site's duty phones, acknowledged only by reading the value back."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.errors import ActionError
from lianxin.core.workflow import Status, create_item, transition
from lianxin.diagnostics.actions.common import clean_text
from lianxin.diagnostics.models import CriticalResult, ExamOrder
from lianxin.diagnostics.rules import SOURCE_CORE_RULES


def do_raise_critical_result(
    *,
    actor: Any,
    order: ExamOrder,
    finding: str,
    analyte: str = "",
    value: str = "",
    unit: str = "",
    source: str = "",
    found_at: datetime.datetime | None = None,
) -> CriticalResult:
    """Raise a critical result on an order (a reader's flagged finding, or a critical value).
    The centre raises it; the ordering site is the other party and is notified at once."""
    now = timezone.now()
    finding = clean_text(finding)[:200]
    if not finding:
        raise ValidationError({"finding": [_("Name the critical finding.")]})
    if order.status in {Status.CANCELLED, Status.ENTERED_IN_ERROR}:
        raise ActionError(_("This order is closed."))
    with transaction.atomic():
        result = create_item(
            CriticalResult,
            actor=actor,
            now=now,
            business_status="notified",
            order=order,
            patient_id=order.patient_id,
            requester_institution_id=order.requester_institution_id,
            performer_institution_id=order.performer_institution_id,
            performer_department_id=order.performer_department_id,
            requester_id=order.requester_id,
            finding=finding,
            analyte=analyte,
            value=clean_text(value)[:40],
            unit=unit,
            source=source or SOURCE_CORE_RULES,
            found_at=found_at or now,
            notified_at=now,
        )
        ExamOrder.objects.filter(pk=order.pk, has_critical=False).update(has_critical=True)
        order.has_critical = True
    return result


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", (text or "")).lower()


def _numbers(text: str) -> set[Decimal]:
    return {Decimal(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)}


def read_back_matches(result: CriticalResult, read_back: str) -> bool:
    """The read-back names the value (the same number, and the unit if any); for a finding
    without a value, the finding itself."""
    said = _normalise(read_back)
    if not said:
        return False
    if result.value:
        try:
            value_ok = Decimal(result.value) in _numbers(said)
        except InvalidOperation:
            value_ok = _normalise(result.value) in said
        return value_ok and (not result.unit or _normalise(result.unit) in said)
    return _normalise(result.finding) in said


def do_acknowledge_critical_result(
    *,
    actor: Any,
    result: CriticalResult,
    read_back: str,
    action_taken: str = "",
    now: datetime.datetime | None = None,
) -> CriticalResult:
    """Acknowledge a critical result at the ordering site by reading the value back."""
    now = now or timezone.now()
    read_back = clean_text(read_back)[:200]
    if not read_back:
        raise ValidationError({"read_back": [_("Read the value back to acknowledge it.")]})
    if not read_back_matches(result, read_back):
        raise ValidationError(
            {"read_back": [_("The read-back does not match the reported value. Check it.")]}
        )
    return transition(
        result,
        "acknowledge",
        actor=actor,
        now=now,
        changes={
            "acknowledged_at": now,
            "acknowledged_by": actor,
            "read_back": read_back,
            "action_taken": clean_text(action_taken)[:2000],
        },
    )
