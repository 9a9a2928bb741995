"""Printed forms of the sterile-supply centre: the pack label (70 × 40 mm, Code 128 barcode and a
QR code of the same code) and the A4 recall report. The CJK font is embedded (``core.pdf``)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from lianxin.core.barcodes import draw_code128, draw_qr
from lianxin.core.pdf import find_font
from lianxin.sterile.models import Pack, Recall, RecallItem

FONT = "cjk"
LABEL_SIZE = (70, 40)  # mm
MARGIN = 2
QR_SIZE = 17


def _local(value: datetime.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else "—"


def _pdf(title: str, fmt, orientation: str) -> FPDF:
    pdf = FPDF(orientation=orientation, unit="mm", format=fmt)
    pdf.set_title(title)
    pdf.set_creator("Lianxin")
    pdf.add_font(FONT, "", str(find_font()), collection_font_number=0)
    return pdf


def build_pack_label_pdf(pack: Pack) -> bytes:
    """One label: barcode and text, QR code, the set, packer's date, sterilisation and expiry,
    the load and the branch. Raises ``FontUnavailable``."""
    width, height = LABEL_SIZE
    pdf = _pdf(f"器械包 {pack.barcode}", (height, width), "L")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    bar_width = width - 2 * MARGIN
    draw_code128(pdf, pack.barcode, x=MARGIN, y=MARGIN, width=bar_width, height=10)
    pdf.set_font(FONT, size=8)
    pdf.set_xy(MARGIN, MARGIN + 10.5)
    pdf.cell(bar_width, 3.5, pack.barcode, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    draw_qr(
        pdf, pack.barcode, x=width - MARGIN - QR_SIZE, y=height - MARGIN - QR_SIZE, size=QR_SIZE
    )
    text_width = width - 2 * MARGIN - QR_SIZE - 1
    implant = "【植入物】" if pack.instrument_set.is_implant else ""
    load = pack.load
    lines = [
        f"{implant}{pack.instrument_set.name}",
        f"{pack.get_packaging_display()}　第{pack.cycle}次循环",
        f"灭菌：{_local(pack.sterilised_at)}",
        f"失效：{_local(pack.expires_at)}",
        f"锅次：{load.machine.name} #{load.cycle_number}" if load else "锅次：—",
        f"科室：{pack.home.short_name or pack.home.name}",
    ]
    pdf.set_xy(MARGIN, MARGIN + 14.5)
    for line in lines:
        pdf.set_font(FONT, size=7 if len(line) > 14 else 8)
        pdf.cell(text_width, 3.6, line[:24], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _row(pdf: FPDF, cells: list[tuple[str, float]], size: float = 8) -> None:
    pdf.set_font(FONT, size=size)
    for text, w in cells:
        pdf.cell(w, 6, text, border=1)
    pdf.ln(6)


def build_recall_report_pdf(
    recall: Recall, items: list[RecallItem], *, printed_at: datetime.datetime | None = None
) -> bytes:
    """The recall report: trigger, rule, loads, every pack with where it was and how it was
    accounted for, every patient with the procedure and surgeon. Raises ``FontUnavailable``."""
    printed_at = printed_at or timezone.now()
    pdf = _pdf(f"召回报告 {_local(recall.opened_at, '%Y-%m-%d')}", "A4", "P")
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    pdf.set_font(FONT, size=15)
    title = f"{recall.centre.institution.name} {recall.centre.name} 灭菌物品召回报告"
    pdf.cell(0, 10, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    state = f"已关闭 {_local(recall.closed_at)}" if recall.closed_at else "进行中"
    trigger = recall.trigger_load or recall.trigger_test
    for line in (
        f"原因：{recall.get_reason_display()}　触发：{trigger}　状态：{state}",
        f"依据：{recall.source}",
        f"发起：{recall.opened_by}　{_local(recall.opened_at)}",
        "召回锅次：" + "、".join(str(x) for x in recall.loads.select_related("machine")),
    ):
        pdf.multi_cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 7, f"器械包（{len(items)}）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    widths = [28, 40, 34, 30, 54]
    _row(pdf, list(zip(["条码", "器械包", "位置", "所在机构", "处置"], widths, strict=True)), 9)
    for item in items:
        accounted = (
            f"{_local(item.accounted_at, '%m-%d %H:%M')} {item.how_label}"
            if item.accounted_at
            else "待追回"
        )
        _row(
            pdf,
            list(
                zip(
                    [
                        item.pack.barcode,
                        item.pack.instrument_set.name[:14],
                        item.get_whereabouts_display()[:12],
                        (item.institution.short_name or item.institution.name)[:10],
                        accounted[:26],
                    ],
                    widths,
                    strict=True,
                )
            ),
        )
    uses = [i for i in items if i.use is not None]
    pdf.ln(3)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 7, f"已使用的患者（{len(uses)}）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    widths = [22, 28, 40, 30, 28, 38]
    _row(
        pdf,
        list(zip(["患者", "器械包", "手术/操作", "术者", "时间", "机构"], widths, strict=True)),
        9,
    )
    for item in uses:
        use = item.use
        surgeon = use.surgeon
        _row(
            pdf,
            list(
                zip(
                    [
                        use.patient.name,
                        item.pack.barcode,
                        use.procedure[:16],
                        f"{surgeon.name} {surgeon.get_title_display()}"[:12] if surgeon else "—",
                        _local(use.at, "%m-%d %H:%M"),
                        (item.institution.short_name or item.institution.name)[:14],
                    ],
                    widths,
                    strict=True,
                )
            ),
        )
    pdf.ln(4)
    pdf.set_font(FONT, size=8)
    pdf.cell(0, 5, f"打印时间 {_local(printed_at)}　连心医共体协同平台")
    return bytes(pdf.output())
