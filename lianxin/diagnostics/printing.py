"""The printable exam report: an A4 PDF with the Chinese font embedded (the same approach and
font lookup as the referral form), every signed version with its amendment reason; and the
pathology specimen label: a 62 × 29 mm PDF (the common continuous label roll) with a Code 128
barcode."""

from __future__ import annotations

import datetime

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from lianxin.core.barcodes import draw_code128
from lianxin.core.pdf import FONT_PACKAGE, FontUnavailable, find_font
from lianxin.core.templatetags.lianxin_format import person_label
from lianxin.diagnostics.models import ExamOrder, ReportStatus, Specimen
from lianxin.diagnostics.rules import ANALYTES

__all__ = [
    "FONT_PACKAGE",
    "FontUnavailable",
    "build_report_pdf",
    "build_specimen_label_pdf",
    "find_font",
]

FONT = "cjk"
MARGIN = 15
LABEL_SIZE = (62, 29)  # mm, width × height
LABEL_MARGIN = 2


def _local(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _line(pdf: FPDF, text: str, size: float = 10) -> None:
    pdf.set_font(FONT, size=size)
    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def build_report_pdf(order: ExamOrder, *, printed_at: datetime.datetime | None = None) -> bytes:
    """The signed report(s) of ``order`` as PDF bytes. Raises ``FontUnavailable``."""
    font = find_font()
    printed_at = printed_at or timezone.now()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"检查报告 {order.accession_number}")
    pdf.set_creator("Lianxin")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font(FONT, "", str(font), collection_font_number=0)
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, f"{order.centre.name} 检查报告", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    patient = order.patient
    _line(pdf, f"检查号：{order.accession_number}　　项目：{order.exam.name}")
    _line(
        pdf,
        f"姓名：{patient.name}　　性别：{patient.get_sex_display()}　　"
        f"年龄：{patient.age_on(timezone.localdate(order.created_at))}",
    )
    _line(
        pdf,
        f"申请单位：{order.requester_institution.name}　　"
        f"申请时间：{_local(order.created_at)}　　检查时间：{_local(order.performed_at)}",
    )
    for report in order.reports.filter(status=ReportStatus.SIGNED).order_by("-version"):
        pdf.ln(3)
        title = f"第 {report.version} 版" + ("（更正）" if report.version > 1 else "")
        _line(pdf, title, 12)
        if report.amendment_reason:
            _line(pdf, f"更正原因：{report.amendment_reason}")
        for section, text in report.findings.items():
            _line(pdf, f"{section}：{text}")
        for value in report.values.all():
            name = ANALYTES[value.analyte].name if value.analyte in ANALYTES else value.analyte
            flag = "  危急值" if value.flag == "C" else ""
            _line(pdf, f"{name}：{value.value.normalize():f} {value.unit}{flag}")
        _line(pdf, f"诊断意见：{report.impression}")
        signer = person_label(report.signed_by)
        _line(pdf, f"报告医师：{signer}　　签发时间：{_local(report.signed_at)}")
    pdf.ln(4)
    _line(pdf, f"打印时间 {_local(printed_at)}　连心医共体协同平台", 8)
    recording = order.ecg_recordings.order_by("-recorded_at").first()
    if recording is not None:
        _ecg_page(pdf, order, recording)
    return bytes(pdf.output())


def _ecg_page(pdf: FPDF, order: ExamOrder, recording) -> None:
    """The tracing on A4 landscape at true scale (25 mm/s, 10 mm/mV) with the measurements."""
    import io

    from lianxin.diagnostics.ecg.signals_io import from_npz
    from lianxin.diagnostics.ecg.tracing import render_svg

    with recording.signal.open("rb") as f:
        svg = render_svg(from_npz(f.read()))
    pdf.add_page(orientation="L")
    pdf.set_font(FONT, size=11)
    pdf.cell(
        0,
        6,
        f"十二导联心电图　{order.patient.name}　{order.accession_number}　"
        f"{_local(recording.recorded_at)}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )

    def number(value, unit: str) -> str:
        return f"{value:.0f} {unit}" if value is not None else "—"

    _line(
        pdf,
        f"心率 {number(recording.heart_rate, '次/分')}　PR {number(recording.pr_ms, 'ms')}　"
        f"QRS {number(recording.qrs_ms, 'ms')}　QT {number(recording.qt_ms, 'ms')}　"
        f"QTc(Bazett) {number(recording.qtc_bazett_ms, 'ms')}　"
        f"QTc(Fridericia) {number(recording.qtc_fridericia_ms, 'ms')}（机器测量，以医师诊断为准）",
        9,
    )
    # 262 mm wide at 1 mm per SVG unit: the grid prints at its true size.
    pdf.image(io.BytesIO(svg.encode("utf-8")), x=MARGIN, y=pdf.get_y() + 2, w=262)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(f"{text}…") > width:
        text = text[:-1]
    return f"{text}…"


def build_specimen_label_pdf(specimen: Specimen) -> bytes:
    """One label for ``specimen``: the barcode with its text, the patient, the exam, the
    anatomical site and the collection time; a frozen section says so. Raises
    ``FontUnavailable``."""
    font = find_font()
    order = specimen.order
    width, height = LABEL_SIZE
    pdf = FPDF(orientation="L", unit="mm", format=(height, width))
    pdf.set_title(f"标本 {specimen.barcode}")
    pdf.set_creator("Lianxin")
    pdf.set_margins(LABEL_MARGIN, LABEL_MARGIN, LABEL_MARGIN)
    pdf.set_auto_page_break(False)
    pdf.add_font(FONT, "", str(font), collection_font_number=0)
    pdf.add_page()
    inner = width - 2 * LABEL_MARGIN
    draw_code128(pdf, specimen.barcode, x=LABEL_MARGIN, y=LABEL_MARGIN, width=inner, height=11)
    pdf.set_xy(LABEL_MARGIN, LABEL_MARGIN + 11.5)
    pdf.set_font(FONT, size=8)
    pdf.cell(inner, 3.5, specimen.barcode, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    patient = order.patient
    frozen = "【冰冻 急】" if specimen.is_frozen_section else ""
    for text in (
        f"{frozen}{patient.name}　{patient.get_sex_display()}　{order.exam.name}",
        f"部位：{specimen.site}",
        f"{order.requester_institution.short_name or order.requester_institution.name}"
        f"　{_local(specimen.collected_at)}",
    ):
        pdf.cell(inner, 3.6, _fit(pdf, text, inner), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
