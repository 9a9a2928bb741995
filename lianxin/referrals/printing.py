"""The printable referral form (双向转诊单): an A4 PDF that travels with the patient.

The form is a fixed national-style paper form, so its labels are Chinese string constants and are
not translated: the slip is read at the receiving desk, whatever language the referring doctor's
screen is in. A CJK TrueType font from the operating system is embedded (as a subset), so the PDF
prints and extracts the same on any reader; a QR code on the form opens the referral page.

The font comes from ``settings.LIANXIN_PDF_FONT`` (or the environment variable of the same name):
one path, or several separated by the path separator, tried in order. Without it the Debian
packages' usual paths are tried. ``FontUnavailable`` says which paths were tried.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence

import segno
from django.utils import timezone
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, WrapMode, XPos, YPos

from lianxin.core.pdf import find_font
from lianxin.core.workflow import Status
from lianxin.referrals.models import AppointmentSlot, Referral
from lianxin.referrals.rules import MILESTONE_ORDER, Direction, Urgency

# segno's parameters for the code; a test re-generates the code with them and compares modules.
QR_ERROR = "m"

FONT = "cjk"
MARGIN = 15.0
LINE = 6.0
QR_SIZE = 30.0

DIRECTION_TITLE = {Direction.UP: "双向转诊（上转）单", Direction.DOWN: "双向转诊（下转）单"}
URGENCY_ZH = {
    Urgency.ROUTINE: "普通",
    Urgency.URGENT: "加急",
    Urgency.EMERGENCY: "急诊（绿色通道）",
}
SEX_ZH = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
STATUS_ZH = {
    Status.DRAFT: "草稿（未发出）",
    Status.REQUESTED: "已发出，待接诊",
    Status.RECEIVED: "已接收，待答复",
    Status.ACCEPTED: "已同意接诊",
    Status.REJECTED: "已拒绝",
    Status.IN_PROGRESS: "诊疗中",
    Status.ON_HOLD: "暂停",
    Status.COMPLETED: "已完成，结果已回传",
    Status.FAILED: "未完成",
    Status.CANCELLED: "已取消",
    Status.ENTERED_IN_ERROR: "录入错误，已作废",
}
BUSINESS_STATUS_ZH = {"booked": "已预约", "arrived": "已到诊", "no-show": "未到诊"}
FOLLOW_UP_ZH = {
    "visit": "复诊",
    "test": "检查检验",
    "medication": "用药评估",
    "rehab": "康复",
    "other": "其他",
}
MILESTONE_ZH = {
    "decision": "决定转诊",
    "departure": "离开转出单位",
    "arrival": "到达转入单位",
    "treatment_start": "开始救治",
}
TITLE_ZH = {
    "chief": "主任医师",
    "associate_chief": "副主任医师",
    "attending": "主治医师",
    "resident": "住院医师",
    "assistant": "执业助理医师",
    "village_doctor": "乡村医生",
    "chief_nurse": "主任护师",
    "associate_chief_nurse": "副主任护师",
    "supervisor_nurse": "主管护师",
    "nurse": "护师",
    "technician_in_charge": "主管技师",
    "technician": "技师",
}
BLANK = "—"


def short_number(referral: Referral) -> str:
    """The number printed on the slip: the first block of the public id, upper case."""
    return str(referral.external_id).split("-")[0].upper()


def qr_png(url: str) -> bytes:
    """The QR code for ``url`` as a PNG (segno writes PNG itself; no imaging library needed)."""
    buffer = io.BytesIO()
    segno.make(url, error=QR_ERROR).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def _local(value: datetime.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else BLANK


def _or_blank(*parts: str | None) -> str:
    text = " ".join(p for p in parts if p)
    return text or BLANK


def _practitioner_line(practitioner) -> str:
    if practitioner is None:
        return BLANK
    return _or_blank(practitioner.name, TITLE_ZH.get(practitioner.title, ""))


class _Form(FPDF):
    """A4 page with the slip's footer: number, page n of m, print time."""

    def __init__(self, number: str, printed_at: datetime.datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.number = number
        self.printed_at = printed_at

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(
            0,
            5,
            f"转诊编号 {self.number}　第 {self.page_no()}/{{nb}} 页　"
            f"打印时间 {_local(self.printed_at)}　连心医共体协同平台",
            align="C",
        )
        self.set_text_color(0)


class _Writer:
    """The form's building blocks: section headings, label-value lines, paragraphs, tables."""

    def __init__(self, pdf: _Form) -> None:
        self.pdf = pdf

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(LINE * 3):
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(FONT, size=11)
        pdf.set_fill_color(230)
        pdf.cell(0, 7, f" {text}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        pdf.set_font(FONT, size=10)

    def fields(self, pairs: Iterable[tuple[str, str]]) -> None:
        text = "　　".join(f"{label}：{value or BLANK}" for label, value in pairs)
        self.text(text)

    def text(self, text: str, size: float = 10) -> None:
        self.pdf.set_font(FONT, size=size)
        self.pdf.multi_cell(
            0,
            LINE,
            text or BLANK,
            align="L",
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def paragraph(self, label: str, text: str) -> None:
        self.text(f"{label}：{text or BLANK}")

    def table(self, headings: Sequence[str], rows: Iterable[Sequence[str]], widths) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=9.5)
        with pdf.table(
            col_widths=widths,
            line_height=LINE - 0.5,
            text_align="LEFT",
            wrapmode=WrapMode.CHAR,
            repeat_headings=1,
            headings_style=FontFace(fill_color=(240, 240, 240)),
            cell_fill_mode=TableCellFillMode.NONE,
            first_row_as_headings=True,
        ) as table:
            table.row(list(headings))
            for values in rows:
                table.row([v or BLANK for v in values])


def _header(pdf: _Form, referral: Referral, url: str) -> None:
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(url)), x=pdf.w - MARGIN - QR_SIZE, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(pdf.w - MARGIN - QR_SIZE - 5, top + QR_SIZE)
    pdf.set_font(FONT, size=7.5)
    pdf.cell(QR_SIZE + 10, 4, "扫码打开电子转诊单", align="C")

    width = pdf.w - 2 * MARGIN - QR_SIZE - 5
    pdf.set_xy(MARGIN, top + 2)
    pdf.set_font(FONT, size=18)
    pdf.cell(width, 10, DIRECTION_TITLE.get(referral.direction, "双向转诊单"), align="C")
    pdf.set_xy(MARGIN, top + 14)
    pdf.set_font(FONT, size=10)
    created = referral.created_at or timezone.now()
    pdf.cell(
        width,
        LINE,
        f"转诊编号：{short_number(referral)}　　开单日期：{_local(created, '%Y-%m-%d')}",
        align="C",
    )
    pdf.set_xy(MARGIN, top + 14 + LINE)
    if referral.urgency == Urgency.EMERGENCY:
        # The receiving desk must see an emergency at a glance, even on a black-and-white copy.
        pdf.set_font(FONT, size=13)
        pdf.set_fill_color(200, 0, 0)
        pdf.set_text_color(255)
        pdf.set_x(MARGIN + width / 2 - 35)
        pdf.cell(70, 8, "急诊 · 绿色通道 · 优先接诊", border=1, align="C", fill=True)
        pdf.set_text_color(0)
    else:
        pdf.cell(width, LINE, f"紧急程度：{URGENCY_ZH.get(referral.urgency, '')}", align="C")
    pdf.set_xy(MARGIN, top + QR_SIZE + 6)


def _requesting_doctor(referral: Referral) -> tuple[str, str, str]:
    """The referring doctor's name and title, their department (the referral's, else their
    own), and the phone to call back (theirs, else the department's, else the institution's)."""
    user = referral.requester
    practitioner = getattr(user, "practitioner", None) if user is not None else None
    if practitioner is not None:
        name = _practitioner_line(practitioner)
    elif user is not None:
        name = user.get_full_name() or user.get_username()
    else:
        name = BLANK
    department = referral.requester_department
    if (
        department is None
        and practitioner is not None
        and practitioner.institution_id == referral.requester_institution_id
    ):
        department = practitioner.department
    phone = (
        (practitioner.phone if practitioner else "")
        or (department.phone if department else "")
        or referral.requester_institution.phone
    )
    return name, getattr(department, "name", ""), phone or BLANK


def _closing_reason(referral: Referral) -> str:
    last = (
        referral.transitions.filter(to_status=referral.status)
        .exclude(reason="")
        .order_by("-at", "-id")
        .first()
    )
    return last.reason if last else ""


def build_referral_pdf(
    referral: Referral, *, url: str, printed_at: datetime.datetime | None = None
) -> bytes:
    """The referral form as PDF bytes; ``url`` is the absolute address the QR code opens.

    ``referral`` should come with its patient, institutions, departments, requester (and their
    practitioner with its department) and requested practitioner selected.
    Raises ``FontUnavailable``.
    """
    font = find_font()
    printed_at = printed_at or timezone.now()
    number = short_number(referral)
    pdf = _Form(number, printed_at)
    pdf.set_title(f"{DIRECTION_TITLE.get(referral.direction, '双向转诊单')} {number}")
    pdf.set_creator("Lianxin")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", str(font), collection_font_number=0)
    pdf.add_page()
    write = _Writer(pdf)
    _header(pdf, referral, url)

    patient = referral.patient
    write.heading("患者信息")
    write.fields(
        [
            ("姓名", patient.name),
            ("性别", SEX_ZH.get(patient.sex, BLANK)),
            ("年龄", f"{patient.age_on(timezone.localdate(referral.created_at))}岁"),
        ]
    )
    # A paper slip travels with the patient and identifies them at the receiving desk, as the
    # paper forms do: the full ID number, but no address or phone.
    write.fields([("身份证号", patient.id_number or BLANK)])

    name, department_name, phone = _requesting_doctor(referral)
    write.heading("转出单位")
    write.fields([("医疗机构", referral.requester_institution.name), ("科室", department_name)])
    write.fields([("转诊医师", name), ("联系电话", phone)])

    write.heading("转入单位")
    department = referral.performer_department
    write.fields(
        [
            ("医疗机构", referral.performer_institution.name),
            ("科室", getattr(department, "name", "")),
        ]
    )
    write.fields(
        [
            ("指定医师", _practitioner_line(referral.requested_practitioner)),
            (
                "联系电话",
                (department.phone if department else "") or referral.performer_institution.phone,
            ),
        ]
    )
    slot = (
        AppointmentSlot.objects.filter(referral=referral)
        .select_related("department", "practitioner", "institution")
        .first()
    )
    if slot is not None:
        write.fields(
            [
                (
                    "预约时间",
                    f"{_local(slot.starts_at)}–{_local(slot.ends_at, '%H:%M')}",
                ),
                (
                    "地点",
                    _or_blank(
                        slot.institution.name, slot.institution.address, slot.department.name
                    ),
                ),
                ("接诊医师", _practitioner_line(slot.practitioner) if slot.practitioner else ""),
            ]
        )

    write.heading("病情摘要")
    diagnosis = referral.diagnosis_text
    if referral.diagnosis_code:
        diagnosis = f"{diagnosis}（ICD-10：{referral.diagnosis_code}）"
    write.paragraph("初步诊断", diagnosis)
    write.paragraph("转诊原因", referral.reason)
    write.paragraph("病史摘要", referral.history_summary)

    if referral.urgency == Urgency.EMERGENCY:
        events = {e.milestone: e.at for e in referral.milestones.all()}
        write.heading("绿色通道时间节点")
        write.fields([(MILESTONE_ZH[m], _local(events.get(m))) for m in MILESTONE_ORDER])

    follow_ups = list(referral.follow_ups.all())
    if referral.direction == Direction.DOWN or follow_ups:
        write.heading("后续治疗及康复方案")
        if referral.care_plan or not follow_ups:
            write.paragraph("治疗方案", referral.care_plan)
        if follow_ups:
            write.table(
                ["序号", "类别", "内容", "到期日期", "完成情况"],
                (
                    [
                        str(n),
                        FOLLOW_UP_ZH.get(item.kind, item.kind),
                        item.description,
                        item.due_on.strftime("%Y-%m-%d"),
                        _local(item.done_at, "%Y-%m-%d") if item.done_at else "",
                    ]
                    for n, item in enumerate(follow_ups, start=1)
                ),
                widths=(12, 24, 90, 26, 28),
            )

    write.heading("转诊状态")
    status = STATUS_ZH.get(referral.status, referral.status)
    if referral.business_status in BUSINESS_STATUS_ZH:
        status = f"{status}（{BUSINESS_STATUS_ZH[referral.business_status]}）"
    write.fields([("当前状态", status), ("更新时间", _local(referral.status_changed_at))])
    if referral.status == Status.COMPLETED:
        write.paragraph("诊疗结果", referral.outcome_summary)
        write.fields([("结果回传时间", _local(referral.outcome_at))])
    elif referral.status in {Status.REJECTED, Status.CANCELLED, Status.FAILED}:
        write.paragraph("原因", _closing_reason(referral))

    if pdf.will_page_break(LINE * 4):
        pdf.add_page()
    pdf.ln(LINE)
    write.text("转诊医师（签名）：＿＿＿＿＿＿＿＿　　　接诊医师（签名）：＿＿＿＿＿＿＿＿")
    write.text("日期：　　　年　　月　　日　　　　　　　日期：　　　年　　月　　日")
    return bytes(pdf.output())
