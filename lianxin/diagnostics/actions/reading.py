"""Reading a study: claim it (one reader only), draft the report (a resident may), sign it
(attending or above), amend a signed report with a new version, overflow to the alliance pool."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, Conflict, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status, transition
from lianxin.diagnostics.actions.common import (
    clean_text,
    close_care,
    open_care,
    require_attending,
)
from lianxin.diagnostics.actions.orders import care_ends
from lianxin.diagnostics.models import (
    ExamOrder,
    Report,
    ReportStatus,
    ResultFlag,
    ResultValue,
    SecondReadRule,
)
from lianxin.diagnostics.rules import (
    ANALYTES,
    EXAMS_BY_CODE,
    OVERFLOW_DEPARTMENT_CODES,
    critical_limit,
    normalise_unit,
)
from lianxin.network.models import CommunityKind, CommunityMember, Department, Institution


@dataclass(frozen=True)
class Value:
    """One measured value as entered: analyte code, number, unit."""

    analyte: str
    value: Any
    unit: str


def do_claim_study(
    *, actor: Any, order: ExamOrder, expected_version: int | None = None
) -> ExamOrder:
    """Take a performed study to read. The row lock makes a second claim a conflict."""
    now = timezone.now()
    if order.status == Status.IN_PROGRESS and order.owner_id is not None:
        raise Conflict(_("Another reader has already claimed this study."))
    return transition(
        order,
        "claim",
        actor=actor,
        now=now,
        expected_version=expected_version,
        changes={"owner": actor, "claimed_at": now},
    )


def do_release_study(*, actor: Any, order: ExamOrder) -> ExamOrder:
    """Give a claimed study back to the worklist (its draft stays)."""
    return transition(order, "release", actor=actor, changes={"owner": None, "claimed_at": None})


def tertiary_pool(order: ExamOrder) -> tuple[Institution, Department | None]:
    """The alliance's lead hospital above the centre's community, and its reading department."""
    communities = CommunityMember.objects.filter(
        member_institution_id=order.centre_institution_id
    ).values_list("community_id", flat=True)
    lead = (
        CommunityMember.objects.filter(
            member_community_id__in=communities, community__kind=CommunityKind.ALLIANCE
        )
        .select_related("community__lead")
        .values_list("community__lead", flat=True)
        .first()
    )
    if lead is None or lead == order.performer_institution_id:
        raise ActionError(_("This centre has no tertiary reading pool to overflow to."))
    institution = Institution.objects.get(pk=lead)
    department = (
        Department.objects.filter(
            institution=institution,
            is_active=True,
            code__in=OVERFLOW_DEPARTMENT_CODES.get(order.centre_type, ()),
        )
        .order_by("code")
        .first()
    )
    return institution, department


def do_overflow_study(
    *,
    actor: Any,
    order: ExamOrder,
    force: bool = False,
    now: datetime.datetime | None = None,
) -> ExamOrder:
    """Send an unclaimed, overdue study to the alliance's tertiary reading pool. The centre
    keeps seeing the order; the pool reads and signs it. ``force`` sends it before it is due."""
    now = now or timezone.now()
    if order.status != Status.IN_PROGRESS or order.owner_id is not None:
        raise ActionError(_("Only a performed study that nobody has claimed can overflow."))
    if not force and not order.is_overdue(now):
        raise ActionError(_("This study is not overdue yet."))
    institution, department = tertiary_pool(order)
    with transaction.atomic():
        transition(
            order,
            "overflow",
            actor=actor,
            now=now,
            as_system=False,
            changes={
                "performer_institution": institution,
                "performer_department": department,
                "overflowed_at": now,
            },
        )
        open_care(
            order.patient,
            institution.pk,
            reason=_("Exam %(acc)s (overflow)") % {"acc": order.accession_number},
            source=order,
            actor=actor,
        )
    return order


def _check_reader(actor: Any, order: ExamOrder, perm: Perm) -> None:
    if not access_for(actor).has_perm(perm, order.performer_institution_id):
        raise NotAllowed(_("Only the reading centre may report this study."))


def _decimal(raw: Any, n: int) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"values": [_("Value %(n)d is not a number.") % {"n": n}]}) from exc
    if not value.is_finite() or abs(value) >= Decimal("1e8"):
        raise ValidationError({"values": [_("Value %(n)d is out of range.") % {"n": n}]})
    return value


def clean_values(order: ExamOrder, values: Iterable[Value]) -> list[tuple[str, Decimal, str]]:
    """Check each value against the exam's analytes and their one accepted unit."""
    spec = EXAMS_BY_CODE.get(order.exam.code)
    allowed = set(spec.analytes) if spec else set()
    out: list[tuple[str, Decimal, str]] = []
    seen: set[str] = set()
    for n, item in enumerate(values, start=1):
        analyte = clean_text(item.analyte).upper()
        if analyte not in allowed:
            raise ValidationError(
                {
                    "values": [
                        _("%(analyte)s is not part of %(exam)s.")
                        % {"analyte": analyte or "?", "exam": order.exam.name}
                    ]
                }
            )
        if analyte in seen:
            raise ValidationError({"values": [_("%(a)s is given twice.") % {"a": analyte}]})
        seen.add(analyte)
        unit = normalise_unit(item.unit)
        expected = ANALYTES[analyte].unit
        if unit != expected:
            raise ValidationError(
                {
                    "values": [
                        _("%(analyte)s is reported in %(expected)s, not %(unit)s.")
                        % {"analyte": analyte, "expected": expected, "unit": unit or "—"}
                    ]
                }
            )
        out.append((analyte, _decimal(item.value, n), unit))
    return out


def _clean_findings(findings: Mapping[str, Any] | None) -> dict[str, str]:
    out = {}
    for key, text in (findings or {}).items():
        key, text = clean_text(str(key))[:60], clean_text(str(text))[:4000]
        if key and text:
            out[key] = text
    return out


def _flag(analyte: str, value: Decimal, order: ExamOrder, day: datetime.date) -> str:
    limit = critical_limit(analyte, order.patient.age_on(day), order.patient.sex)
    if limit is None:
        return ResultFlag.NORMAL
    if (limit.low is not None and value < limit.low) or (
        limit.high is not None and value > limit.high
    ):
        return ResultFlag.CRITICAL
    return ResultFlag.NORMAL


def _write_values(report: Report, order: ExamOrder, values, day: datetime.date) -> None:
    report.values.all().delete()
    ResultValue.objects.bulk_create(
        [
            ResultValue(
                report=report,
                analyte=analyte,
                value=value,
                unit=unit,
                flag=_flag(analyte, value, order, day),
            )
            for analyte, value, unit in values
        ]
    )


def do_draft_report(
    *,
    actor: Any,
    order: ExamOrder,
    impression: str,
    findings: Mapping[str, Any] | None = None,
    values: Iterable[Value] = (),
    qc_passed: bool = True,
) -> Report:
    """Write or rewrite the draft of the first report. Only the reader who claimed the study."""
    _check_reader(actor, order, Perm.PERFORM_SERVICE)
    impression = clean_text(impression)
    if not impression:
        raise ValidationError({"impression": [_("Give the impression.")]})
    cleaned_findings = _clean_findings(findings)
    cleaned_values = clean_values(order, values)
    with transaction.atomic():
        locked = ExamOrder.objects.select_for_update().select_related("patient").get(pk=order.pk)
        if locked.status != Status.IN_PROGRESS:
            raise ActionError(_("Only a study being read can get a draft report."))
        if locked.owner_id != actor.pk:
            raise Conflict(_("Claim the study before writing its report."))
        report = locked.reports.filter(status=ReportStatus.DRAFT).first()
        before = None
        if report is None:
            report = Report(order=locked, version=1, author=actor)
        else:
            before = {"impression": report.impression, "findings": report.findings}
        report.impression = impression
        report.findings = cleaned_findings
        report.qc_passed = qc_passed
        report.save()
        _write_values(report, locked, cleaned_values, timezone.localdate())
        audit.record(
            "diagnostics.report.draft",
            actor=actor,
            target=report,
            institution=locked.performer_institution_id,
            before=before,
            after={"impression": impression, "values": len(cleaned_values)},
        )
    return report


def _raise_criticals(report: Report, order: ExamOrder, actor: Any, now) -> list:
    from lianxin.diagnostics.actions.critical import do_raise_critical_result

    out = []
    day = timezone.localdate(now)
    for value in report.values.filter(flag=ResultFlag.CRITICAL):
        limit = critical_limit(value.analyte, order.patient.age_on(day), order.patient.sex)
        out.append(
            do_raise_critical_result(
                actor=actor,
                order=order,
                finding=ANALYTES[value.analyte].name,
                analyte=value.analyte,
                value=format(value.value.normalize(), "f"),
                unit=value.unit,
                source=limit.source if limit else "",
                found_at=now,
            )
        )
    return out


def requires_second_reader(order: ExamOrder) -> bool:
    """Whether the centre's rule (for this exam item, else for the whole centre) asks that the
    report be signed by someone other than its writer."""
    rules = {
        rule.exam_id: rule.requires_second_reader
        for rule in SecondReadRule.objects.filter(centre=order.centre_id).filter(
            Q(exam=order.exam_id) | Q(exam__isnull=True)
        )
    }
    if order.exam_id in rules:
        return rules[order.exam_id]
    return rules.get(None, False)


def do_sign_report(
    *,
    actor: Any,
    order: ExamOrder,
    critical_finding: str = "",
    single_reader_reason: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
) -> Report:
    """Sign the draft (attending or above): the order is reported, the report goes back to the
    orderer, critical values raise critical results at once.

    Where the centre requires a second reader (审核), the writer may not sign their own report
    unless they record why no second reader was available (the single-reader exception)."""
    now = now or timezone.now()
    _check_reader(actor, order, Perm.SIGN_REPORT)
    require_attending(actor)
    single_reader_reason = clean_text(single_reader_reason)[:200]
    with transaction.atomic():
        report = order.reports.select_for_update().filter(status=ReportStatus.DRAFT).first()
        if report is None or report.version != 1:
            raise ActionError(_("There is no draft report to sign."))
        alone = report.author_id == getattr(actor, "pk", None)
        if alone and requires_second_reader(order):
            if not single_reader_reason:
                raise ValidationError(
                    {
                        "single_reader_reason": [
                            _(
                                "This centre asks for a second reader: someone other than the "
                                "writer signs. If no second reader is available, say why."
                            )
                        ]
                    }
                )
        else:
            single_reader_reason = ""
        transition(
            order,
            "report",
            actor=actor,
            now=now,
            expected_version=expected_version,
            changes={"signed_at": now},
        )
        report.status = ReportStatus.SIGNED
        report.signed_by = actor
        report.signed_at = now
        report.single_reader_reason = single_reader_reason
        report.save(
            update_fields=[
                "status",
                "signed_by",
                "signed_at",
                "single_reader_reason",
                "updated_at",
            ]
        )
        audit.record(
            "diagnostics.report.sign",
            actor=actor,
            target=report,
            institution=order.performer_institution_id,
            after={
                "version": report.version,
                "signed_at": now,
                "second_reader": not alone,
                **({"single_reader_reason": single_reader_reason} if single_reader_reason else {}),
            },
        )
        _raise_criticals(report, order, actor, now)
        if clean_text(critical_finding):
            from lianxin.diagnostics.actions.critical import do_raise_critical_result

            do_raise_critical_result(
                actor=actor, order=order, finding=critical_finding, found_at=now
            )
        close_care(order, ends_at=care_ends(now))
    return report


def do_amend_report(
    *,
    actor: Any,
    order: ExamOrder,
    reason: str,
    impression: str,
    findings: Mapping[str, Any] | None = None,
    values: Iterable[Value] = (),
    now: datetime.datetime | None = None,
) -> Report:
    """Issue a new signed version of a signed report, with the reason; the earlier version stays
    as it was and visible."""
    now = now or timezone.now()
    _check_reader(actor, order, Perm.SIGN_REPORT)
    require_attending(actor)
    reason, impression = clean_text(reason), clean_text(impression)
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the report is amended.")]
    if not impression:
        errors["impression"] = [_("Give the impression.")]
    if errors:
        raise ValidationError(errors)
    cleaned_values = clean_values(order, values)
    with transaction.atomic():
        locked = ExamOrder.objects.select_for_update().select_related("patient").get(pk=order.pk)
        if locked.status != Status.COMPLETED:
            raise ActionError(_("Only a signed report can be amended."))
        last = locked.reports.aggregate(v=Max("version"))["v"] or 0
        report = Report.objects.create(
            order=locked,
            version=last + 1,
            status=ReportStatus.SIGNED,
            impression=impression,
            findings=_clean_findings(findings),
            author=actor,
            signed_by=actor,
            signed_at=now,
            amendment_reason=reason,
        )
        _write_values(report, locked, cleaned_values, timezone.localdate(now))
        audit.record(
            "diagnostics.report.amend",
            actor=actor,
            target=report,
            institution=locked.performer_institution_id,
            after={"version": report.version, "reason": reason},
        )
        _raise_criticals(report, locked, actor, now)
        from lianxin.diagnostics.notifications import report_amended

        transaction.on_commit(lambda: report_amended(locked, report), robust=True)
    return report
