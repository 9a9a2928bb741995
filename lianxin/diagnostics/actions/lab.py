"""Results that a laboratory system verified itself and sent by interface (HL7 v2 ORU^R01).

The laboratory's own verification stands in for the centre reader's signature: a preliminary
result (OBX-11 ``P``) is the order's draft report, a final one (``F``) is signed version 1 and
reports the order, a correction (``C``) is a new signed version with its reason, like an
amendment. The report is drafted and signed by the interface's account (the laboratory system,
named as such), with the verifying technologist kept in the findings. Critical values — by the
sender's flag or by the critical-value table — raise critical results in the same transaction,
once per analyte and value.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.errors import ActionError
from lianxin.core.workflow import Status, transition
from lianxin.diagnostics.actions.common import close_care
from lianxin.diagnostics.actions.critical import do_raise_critical_result
from lianxin.diagnostics.actions.orders import care_ends
from lianxin.diagnostics.actions.reading import Value, clean_values
from lianxin.diagnostics.models import (
    CriticalResult,
    ExamOrder,
    Report,
    ReportStatus,
    ResultFlag,
    ResultValue,
)
from lianxin.diagnostics.rules import ANALYTES, critical_limit
from lianxin.network.models import CentreType


class ResultStatus:
    PRELIMINARY = "P"
    FINAL = "F"
    CORRECTED = "C"
    ALL = ("P", "F", "C")


@dataclass(frozen=True)
class LabValue:
    """One observation as the laboratory sent it, already mapped to a Lianxin analyte."""

    analyte: str
    value: Any
    unit: str
    reference_range: str = ""
    abnormal_flags: str = ""
    critical_by_sender: bool = False


VERIFIED_BY = "审核者"
SENT_BY = "检验系统"


def _check_order(order: ExamOrder) -> None:
    if order.centre_type != CentreType.LABORATORY:
        raise ActionError(
            _("Order %(acc)s is not a laboratory order.") % {"acc": order.accession_number}
        )
    if order.status in {Status.CANCELLED, Status.ENTERED_IN_ERROR}:
        raise ActionError(_("Order %(acc)s is closed.") % {"acc": order.accession_number})


def _write(
    report: Report, order: ExamOrder, values: Sequence[LabValue], day, *, replace: bool
) -> list[ResultValue]:
    cleaned = clean_values(order, [Value(v.analyte, v.value, v.unit) for v in values])
    if replace:  # a draft's earlier values
        report.values.all().delete()
    rows = []
    for (analyte, number, unit), raw in zip(cleaned, values, strict=True):
        limit = critical_limit(analyte, order.patient.age_on(day), order.patient.sex)
        by_table = limit is not None and (
            (limit.low is not None and number < limit.low)
            or (limit.high is not None and number > limit.high)
        )
        flags = (raw.abnormal_flags or "").strip().upper()[:10]
        if by_table or raw.critical_by_sender:
            flag = ResultFlag.CRITICAL
        elif flags.startswith("L"):
            flag = ResultFlag.LOW
        elif flags.startswith("H"):
            flag = ResultFlag.HIGH
        else:
            flag = ResultFlag.NORMAL
        rows.append(
            ResultValue(
                report=report,
                analyte=analyte,
                value=number,
                unit=unit,
                flag=flag,
                reference_range=(raw.reference_range or "").strip()[:40],
                abnormal_flags=flags,
            )
        )
    return ResultValue.objects.bulk_create(rows)


def _raise_new_criticals(order: ExamOrder, rows: list[ResultValue], now) -> list[CriticalResult]:
    day = timezone.localdate(now)
    raised = []
    for row in rows:
        if row.flag != ResultFlag.CRITICAL:
            continue
        value = format(row.value.normalize(), "f")
        already = CriticalResult.objects.filter(
            order=order, analyte=row.analyte, value=value
        ).exclude(status=Status.ENTERED_IN_ERROR)
        if already.exists():
            continue
        limit = critical_limit(row.analyte, order.patient.age_on(day), order.patient.sex)
        raised.append(
            do_raise_critical_result(
                actor=None,
                order=order,
                finding=ANALYTES[row.analyte].name,
                analyte=row.analyte,
                value=value,
                unit=row.unit,
                source=limit.source if limit else _("flagged critical by the laboratory"),
                found_at=now,
            )
        )
    return raised


def do_receive_lab_result(
    *,
    order: ExamOrder,
    result_status: str,
    values: Sequence[LabValue],
    system_user: Any,
    verifier: str = "",
    comment: str = "",
    channel: str = "hl7",
    now: datetime.datetime | None = None,
    locked: bool = False,
) -> Report:
    """Store one laboratory result message on ``order`` as a report version (see the module).

    ``ValidationError`` for an analyte that is not part of the exam or a wrong unit,
    ``ActionError`` for a result the order cannot take (closed order, a preliminary result after
    the final one, a correction without a final); nothing is written then.

    ``locked``: the caller has read ``order`` with ``select_for_update`` (and its patient and
    exam) in the transaction it has open and rolls back on any error (the HL7 listener, one
    transaction per message); the order is then used as it is, not read again, and updated in
    place.
    """
    now = now or timezone.now()
    if result_status not in ResultStatus.ALL:
        raise ValidationError(
            {"status": [_("Result status %(s)s is not P, F or C.") % {"s": result_status}]}
        )
    if not values:
        raise ValidationError({"values": [_("The result has no values.")]})
    _check_order(order)
    findings = {SENT_BY: str(system_user.display_name or system_user.username)}
    if verifier:
        findings[VERIFIED_BY] = verifier[:60]
    impression = (comment or "").strip()[:4000] or _(
        "Laboratory result (from the laboratory system)."
    )
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked=True needs the caller's transaction")
    given_locked = locked
    # With the caller's transaction and its rollback, no savepoint of our own is needed.
    with transaction.atomic(savepoint=not given_locked):
        if given_locked:
            locked = order
        else:
            locked = ExamOrder.objects.select_for_update().select_related("patient", "exam")
            locked = locked.get(pk=order.pk)
            _check_order(locked)
        # The order's versions, in one query: whether one is signed, the draft, the last number.
        versions = list(locked.reports.all())
        signed = any(r.status == ReportStatus.SIGNED for r in versions)
        draft = next((r for r in versions if r.status == ReportStatus.DRAFT), None)
        day = timezone.localdate(now)
        before = None
        if result_status == ResultStatus.CORRECTED or (
            result_status == ResultStatus.FINAL and signed
        ):
            if not signed:
                raise ActionError(_("A correction needs a final result to correct."))
            last = max((r.version for r in versions), default=0)
            report = Report.objects.create(
                order=locked,
                version=last + 1,
                status=ReportStatus.SIGNED,
                impression=impression,
                findings=findings,
                author=system_user,
                signed_by=system_user,
                signed_at=now,
                amendment_reason=_("Corrected by the laboratory system"),
            )
            action = "diagnostics.report.amend"
        elif result_status == ResultStatus.PRELIMINARY and signed:
            raise ActionError(
                _("Order %(acc)s already has its final result; send a correction (C).")
                % {"acc": locked.accession_number}
            )
        else:
            report = draft or Report(order=locked, version=1, author=system_user)
            if draft is not None:
                before = {"impression": draft.impression, "findings": draft.findings}
            report.impression = impression
            report.findings = findings
            if result_status == ResultStatus.FINAL:
                report.status = ReportStatus.SIGNED
                report.signed_by = system_user
                report.signed_at = now
            report.save()
            action = (
                "diagnostics.report.sign"
                if result_status == ResultStatus.FINAL
                else "diagnostics.report.draft"
            )
        rows = _write(report, locked, values, day, replace=draft is not None and report is draft)
        if result_status == ResultStatus.FINAL and not signed:
            transition(
                locked,
                "report_result",
                actor=None,
                acting_for=locked.performer_institution_id,
                now=now,
                changes={"signed_at": now, "performed_at": locked.performed_at or now},
            )
            close_care(locked, ends_at=care_ends(now))
        elif result_status == ResultStatus.PRELIMINARY and (
            locked.status != Status.IN_PROGRESS or locked.business_status != "preliminary"
        ):
            transition(
                locked,
                "receive_result",
                actor=None,
                acting_for=locked.performer_institution_id,
                now=now,
                changes={"performed_at": locked.performed_at or now},
            )
        audit.record(
            action,
            actor=system_user,
            target=report,
            institution=locked.performer_institution_id,
            before=before,
            after={
                "version": report.version,
                "result_status": result_status,
                "values": len(rows),
                "channel": channel,
            },
        )
        _raise_new_criticals(locked, rows, now)
        if report.amendment_reason:
            from lianxin.diagnostics.notifications import report_amended

            transaction.on_commit(lambda: report_amended(locked, report), robust=True)
    if not given_locked:
        order.refresh_from_db()
    return report
