"""Reads of the diagnostics app: the reading worklist, recognisable prior results, turnaround
times, recognition figures and the critical-result register."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from lianxin.core.workflow import Status
from lianxin.diagnostics.models import (
    CriticalResult,
    Decision,
    ExamItem,
    ExamOrder,
    Recognition,
    RecognitionRule,
    Report,
    ReportStatus,
)
from lianxin.diagnostics.rules import SCOPE_PREFIX, Scope
from lianxin.network.models import CommunityMember, Institution
from lianxin.patients.models import Patient

# Critical flags first, then urgency, then who has waited longest.
# A performed study nobody has claimed: the worklist's "waiting" state and the home card's count.
WAITING_FOR_READER = Q(status=Status.IN_PROGRESS, owner__isnull=True)
WORKLIST_ORDER = ("-has_critical", "priority_rank", "performed_at", "id")
# Reported studies are no longer work: the latest signed first (served by exam_reported_idx).
REPORTED_ORDER = ("-signed_at", "-id")
WORKLIST_RELATED = (
    "patient",
    "exam",
    "requester_institution",
    "performer_department",
    "owner",
)


def worklist(
    queryset: QuerySet[ExamOrder],
    *,
    institution_ids: Any,
    modality: str = "",
    centre_type: str = "",
    site: int | None = None,
    priority: str = "",
    state: str = "waiting",
    overdue: bool = False,
    now: datetime.datetime | None = None,
) -> QuerySet[ExamOrder]:
    """Studies for the reading institutions: ``state`` waiting (performed, unclaimed), reading
    (claimed), ordered (not yet performed), reported (latest signed first), or all open ones."""
    now = now or timezone.now()
    items = queryset.filter(performer_institution_id__in=institution_ids)
    if state == "waiting":
        items = items.filter(WAITING_FOR_READER)
    elif state == "reading":
        items = items.filter(status=Status.IN_PROGRESS, owner__isnull=False)
    elif state == "ordered":
        items = items.filter(status__in=[Status.REQUESTED, Status.ACCEPTED])
    elif state == "reported":
        items = items.filter(status=Status.COMPLETED)
    else:
        items = items.filter(
            status__in=[Status.REQUESTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD]
        )
    if modality:
        items = items.filter(exam__modality=modality)
    if centre_type:
        items = items.filter(centre_type=centre_type)
    if site:
        items = items.filter(requester_institution_id=site)
    if priority:
        items = items.filter(priority=priority)
    if overdue:
        items = items.filter(due_at__lt=now)
    order = REPORTED_ORDER if state == "reported" else WORKLIST_ORDER
    return items.select_related(*WORKLIST_RELATED).order_by(*order)


def _scope_institutions(site: Institution, scope: str) -> Q:
    """Institutions whose results ``site`` recognises under ``scope``."""
    if scope == Scope.COMMUNITY:
        communities = CommunityMember.objects.filter(member_institution=site).values("community_id")
        members = CommunityMember.objects.filter(community_id__in=communities).values(
            "member_institution_id"
        )
        return Q(order__performer_institution_id__in=members) | Q(
            order__performer_institution_id=site.pk
        )
    prefix = (site.division_code or "")[: SCOPE_PREFIX.get(scope, 2)]
    return Q(order__performer_institution__division_code__startswith=prefix)


def recognisable_results(
    patient: Patient, exam: ExamItem, site: Institution, *, now: datetime.datetime | None = None
) -> QuerySet[Report]:
    """Signed, current reports of this item for this patient, from anywhere in the network,
    that the rule lets ``site`` recognise (within the validity window, scope and QC), newest
    first. Amended reports count by their latest version only."""
    now = now or timezone.now()
    rule = RecognitionRule.objects.filter(exam=exam, is_active=True).first()
    if rule is None:
        return Report.objects.none()
    since = now - datetime.timedelta(days=rule.validity_days)
    reports = Report.objects.filter(
        order__patient=patient,
        order__exam=exam,
        order__status=Status.COMPLETED,
        order__signed_at__gte=since,
        status=ReportStatus.SIGNED,
    ).filter(_scope_institutions(site, rule.scope))
    if rule.requires_qc:
        reports = reports.filter(qc_passed=True)
    # Only the latest version of each order's report.
    later = Report.objects.filter(order=OuterRef("order"), version__gt=OuterRef("version"))
    reports = reports.filter(~Exists(later))
    return reports.select_related(
        "order__performer_institution", "order__exam", "signed_by"
    ).order_by("-order__signed_at")


def _hours(field_a: str, field_b: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(field_b) - F(field_a), output_field=DurationField())


def turnaround(queryset: QuerySet[ExamOrder], *, by: str = "centre") -> list[dict[str, Any]]:
    """Mean turnaround per centre (or ordering site): ordered → performed → signed → viewed."""
    key = {"centre": "centre__name", "site": "requester_institution__name"}[by]
    rows = (
        queryset.filter(signed_at__isnull=False)
        .values(key)
        .annotate(
            exams=Count("id"),
            to_performed=Avg(_hours("created_at", "performed_at")),
            to_signed=Avg(_hours("performed_at", "signed_at")),
            to_viewed=Avg(_hours("signed_at", "viewed_at")),
            total=Avg(_hours("created_at", "signed_at")),
        )
        .order_by(key)
    )
    return [{**row, "name": row[key]} for row in rows]


def recognition_figures(
    queryset: QuerySet[Recognition], *, by: str = "site"
) -> list[dict[str, Any]]:
    """Recognition rate and money saved per doctor, department, site or month."""
    key = {
        "doctor": "doctor",
        "department": "department__name",
        "site": "institution__name",
        "month": "month",
    }[by]
    rows = queryset
    if by == "month":
        rows = rows.annotate(month=TruncMonth("created_at"))
    rows = (
        rows.values(key)
        .annotate(
            decisions=Count("id"),
            recognised=Count("id", filter=Q(decision=Decision.RECOGNISED)),
            saved=Sum("avoided_cost"),
        )
        .order_by(key)
    )
    rows = list(rows)
    names: dict[Any, str] = {}
    if by == "doctor":
        # People by name and title, never by user name (one query for the whole table).
        from lianxin.core.models import User
        from lianxin.core.templatetags.lianxin_format import person_label

        users = User.objects.select_related("practitioner").filter(
            pk__in=[row[key] for row in rows if row[key]]
        )
        names = {user.pk: person_label(user) for user in users}
    out = []
    for row in rows:
        rate = row["recognised"] / row["decisions"] if row["decisions"] else 0.0
        name = names.get(row[key], "") if by == "doctor" else row[key]
        out.append({**row, "name": name, "rate": rate})
    return out


def critical_register(queryset: QuerySet[CriticalResult]) -> QuerySet[CriticalResult]:
    """Critical results with the minutes to notification and to acknowledgement."""
    return (
        queryset.select_related(
            "patient",
            "order__exam",
            "requester_institution",
            "performer_institution",
            "acknowledged_by",
        )
        .annotate(
            to_notify=_hours("found_at", "notified_at"),
            to_acknowledge=_hours("found_at", "acknowledged_at"),
        )
        .order_by("-created_at")
    )


def _in_reach(orders: QuerySet[ExamOrder], access: Any) -> QuerySet[ExamOrder]:
    """The orders of the institutions whose patient registry the user reaches."""
    if access.is_superuser:
        return orders
    reach = access.registry_institution_ids
    return orders.filter(
        Q(requester_institution_id__in=reach) | Q(performer_institution_id__in=reach)
    )


def network_results(user: Any, patient: Patient | None = None) -> QuerySet[ExamOrder]:
    """The signed results the user reads on the patient pages (of the patients they may see,
    from the institutions they reach), newest first: what a referring doctor may link to a
    referral. ``patient`` narrows them to one patient."""
    from lianxin.core.access import access_for

    orders = ExamOrder.objects.filter(
        signed_at__isnull=False, patient__in=Patient.objects.visible_to(user).values("pk")
    )
    if patient is not None:
        orders = orders.filter(patient=patient)
    return (
        _in_reach(orders, access_for(user))
        .select_related("exam", "performer_institution")
        .order_by("-signed_at", "-id")
    )


def latest_signed_report(order: ExamOrder) -> Report | None:
    """The order's signed report as it stands (its latest signed version), with its values."""
    return (
        Report.objects.filter(order=order, signed_at__isnull=False)
        .select_related("author", "signed_by")
        .prefetch_related("values")
        .order_by("-version")
        .first()
    )


def patient_results(user: Any, patient: Patient, limit: int = 30) -> dict[str, Any]:
    """Every exam of the patient from the whole network (the user may see the patient, so they
    see the results the network holds), with the recognition status of each."""
    from lianxin.core.access import access_for

    if not Patient.objects.visible_to(user).filter(pk=patient.pk).exists():
        return {"results": [], "now": timezone.now()}
    orders = _in_reach(ExamOrder.objects.filter(patient=patient), access_for(user))
    orders = list(
        orders.select_related(
            "exam__recognition_rule", "requester_institution", "performer_institution"
        )
        .annotate(
            recognised=Count("id", filter=Q(reports__recognitions__decision=Decision.RECOGNISED))
        )
        .order_by("-created_at")[:limit]
    )
    # The user may open the orders of their own institutions; of the others they read the signed
    # impression here, so a result from anywhere in the network is readable without a dead link.
    ids = [order.pk for order in orders]
    openable = set(
        ExamOrder.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    others = [pk for pk in ids if pk not in openable]
    impressions: dict[int, str] = {}
    if others:
        for order_id, impression in (
            Report.objects.filter(order_id__in=others, signed_at__isnull=False)
            .order_by("order_id", "version")
            .values_list("order_id", "impression")
        ):
            impressions[order_id] = impression  # the latest signed version wins
    now = timezone.now()
    for order in orders:
        order.openable = order.pk in openable
        order.impression = impressions.get(order.pk, "")
        rule = getattr(order.exam, "recognition_rule", None)
        order.recognisable_until = None
        if rule is not None and rule.is_active and order.signed_at:
            until = order.signed_at + datetime.timedelta(days=rule.validity_days)
            order.recognisable_until = until if until > now else None
    return {"results": orders, "now": now}
