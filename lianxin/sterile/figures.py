"""The centre's figures for a period: loads per steriliser and their failure rate, turnaround
from collection to issue, packs in circulation, expiries, recalls; and their Excel export."""

from __future__ import annotations

import datetime
import io
import statistics
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from openpyxl import Workbook

from lianxin.sterile import queries
from lianxin.sterile.models import (
    BiResult,
    BowieDickTest,
    LoadStatus,
    Pack,
    PackEvent,
    Recall,
    SterilisationLoad,
)
from lianxin.sterile.rules import PackStatus, Step


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def figures(user: Any, *, start: datetime.date, end: datetime.date) -> dict:
    """Figures of the centres the user works at, for local days ``start`` to ``end``."""
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    until = timezone.make_aware(datetime.datetime.combine(end, datetime.time.max))
    loads = SterilisationLoad.objects.visible_to(user).filter(started_at__range=(since, until))
    per_machine = (
        loads.values("machine__name")
        .annotate(
            loads=Count("id"),
            failed=Count("id", filter=Q(status=LoadStatus.FAILED)),
            bi=Count("id", filter=~Q(bi_result="")),
            bi_positive=Count("id", filter=Q(bi_result=BiResult.POSITIVE)),
            implant=Count("id", filter=Q(has_implant=True)),
            emergency=Count("id", filter=~Q(emergency_reason="")),
        )
        .order_by("machine__name")
    )
    machines = [{**row, "failure_rate": _rate(row["failed"], row["loads"])} for row in per_machine]
    bd = BowieDickTest.objects.visible_to(user).filter(tested_at__range=(since, until))
    bd_counts = bd.aggregate(total=Count("id"), failed=Count("id", filter=Q(passed=False)))
    events = PackEvent.objects.visible_to(user).filter(at__range=(since, until))
    collected: dict[tuple[int, int], datetime.datetime] = {}
    hours: list[float] = []
    rows = events.filter(step__in=(Step.COLLECT, Step.ISSUE)).values_list(
        "pack_id", "cycle", "step", "at"
    )
    for pack_id, cycle, step, at in rows.order_by("at").iterator(chunk_size=5000):
        if step == Step.COLLECT:
            collected[(pack_id, cycle)] = at
        elif (pack_id, cycle) in collected:
            hours.append((at - collected.pop((pack_id, cycle))).total_seconds() / 3600)
    hours.sort()
    turnaround = {
        "cycles": len(hours),
        "median_hours": round(statistics.median(hours), 1) if hours else None,
        "p90_hours": round(hours[int(0.9 * (len(hours) - 1))], 1) if hours else None,
    }
    by_step = dict(events.values_list("step").annotate(n=Count("id")).values_list("step", "n"))
    packs = Pack.objects.visible_to(user)
    now = timezone.now()
    recalls = Recall.objects.visible_to(user).filter(opened_at__range=(since, until))
    recall_rows = []
    for recall in recalls.prefetch_related("loads").order_by("opened_at"):
        items = recall.items.all()
        recall_rows.append(
            {
                "opened_at": recall.opened_at,
                "reason": recall.get_reason_display(),
                "loads": recall.loads.count(),
                "packs": items.count(),
                "patients": items.filter(use__isnull=False)
                .values("use__patient")
                .distinct()
                .count(),
                "closed_at": recall.closed_at,
            }
        )
    monthly: dict[str, int] = defaultdict(int)
    for at in loads.values_list("started_at", flat=True):
        monthly[timezone.localtime(at).strftime("%Y-%m")] += 1
    return {
        "start": start,
        "end": end,
        "machines": machines,
        "total_loads": sum(m["loads"] for m in machines),
        "total_failed": sum(m["failed"] for m in machines),
        "failure_rate": _rate(
            sum(m["failed"] for m in machines), sum(m["loads"] for m in machines)
        ),
        "bowie_dick": {**bd_counts, "failure_rate": _rate(bd_counts["failed"], bd_counts["total"])},
        "turnaround": turnaround,
        "uses": by_step.get(Step.USE, 0),
        "issues": by_step.get(Step.ISSUE, 0),
        "returns": by_step.get(Step.RETURN, 0),
        "circulation": queries.circulation(packs),
        "expired_now": packs.filter(
            status__in=(PackStatus.STORED, PackStatus.RECEIVED), expires_at__lte=now
        ).count(),
        "recalls": recall_rows,
        "monthly": sorted(monthly.items()),
    }


def workbook(data: dict) -> bytes:
    """The figures as an Excel workbook, one sheet per table, headings in Chinese."""
    book = Workbook()
    sheet = book.active
    sheet.title = "灭菌器"
    sheet.append(
        ["灭菌器", "锅次", "失败", "失败率", "生物监测", "生物监测阳性", "植入物", "紧急放行"]
    )
    for m in data["machines"]:
        sheet.append(
            [m["machine__name"], m["loads"], m["failed"], m["failure_rate"], m["bi"],
             m["bi_positive"], m["implant"], m["emergency"]]
        )  # fmt: skip
    sheet.append(["合计", data["total_loads"], data["total_failed"], data["failure_rate"]])
    bd = book.create_sheet("B-D试验")
    bd.append(["次数", "不合格", "不合格率"])
    bd.append(
        [
            data["bowie_dick"]["total"],
            data["bowie_dick"]["failed"],
            data["bowie_dick"]["failure_rate"],
        ]
    )
    turn = book.create_sheet("周转")
    turn.append(
        ["回收至发放（循环数）", "中位数（小时）", "90百分位（小时）", "发放", "使用", "退回"]
    )
    t = data["turnaround"]
    turn.append(
        [
            t["cycles"],
            t["median_hours"],
            t["p90_hours"],
            data["issues"],
            data["uses"],
            data["returns"],
        ]
    )
    circ = book.create_sheet("在用器械包")
    circ.append(["机构", "运送中", "在科室（无菌）", "已使用待回收", "已过期", "召回中", "合计"])
    for r in data["circulation"]:
        circ.append([r["location__name"], r["in_transit"], r["sterile"], r["used"], r["expired"],
                     r["recalled"], r["total"]])  # fmt: skip
    circ.append(["当前过期（库存与科室）", data["expired_now"]])
    rec = book.create_sheet("召回")
    rec.append(["发起时间", "原因", "锅次", "器械包", "患者", "关闭时间"])
    for r in data["recalls"]:
        rec.append([
            timezone.localtime(r["opened_at"]).strftime("%Y-%m-%d %H:%M"), r["reason"], r["loads"],
            r["packs"], r["patients"],
            timezone.localtime(r["closed_at"]).strftime("%Y-%m-%d %H:%M") if r["closed_at"] else "",
        ])  # fmt: skip
    month = book.create_sheet("每月锅次")
    month.append(["月份", "锅次"])
    for key, n in data["monthly"]:
        month.append([key, n])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
