"""The printable family-doctor contract (家庭医生签约服务协议书): A4 PDF with the team, the
packages and their items and fees, the period, the consent record and a QR code that opens the
contract in Lianxin. Built with fpdf2 and segno, the CJK font embedded (``core.pdf``)."""

from __future__ import annotations

import datetime
import io

import segno
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from lianxin.core.pdf import find_font
from lianxin.primarycare.models import Contract

FONT = "cjk"
MARGIN = 15.0
LINE = 6.5
QR_SIZE = 28.0
STATUS_ZH = {"active": "有效", "renewed": "已续约", "expired": "已到期", "terminated": "已解约"}
CONSENT_ZH = {
    "signature": "本人纸质签字",
    "electronic": "电子签名",
    "fingerprint": "按手印",
    "guardian": "监护人/家属代签",
}
ROLE_ZH = {
    "lead": "团队长",
    "doctor": "家庭医生",
    "nurse": "护士",
    "public_health": "公卫人员",
    "village_doctor": "乡村医生",
    "specialist": "县级专科医生",
}


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def _line(pdf: FPDF, text: str, size: float = 10.5) -> None:
    pdf.set_font(FONT, size=size)
    pdf.multi_cell(
        0, LINE, text, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def build_contract_pdf(
    contract: Contract, url: str, printed_at: datetime.datetime | None = None
) -> bytes:
    printed_at = printed_at or timezone.now()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", str(find_font()), collection_font_number=0)
    pdf.add_page()
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(url)), x=pdf.w - MARGIN - QR_SIZE, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(MARGIN, top + 4)
    pdf.set_font(FONT, size=17)
    pdf.cell(pdf.w - 2 * MARGIN - QR_SIZE, 10, "家庭医生签约服务协议书", align="C")
    pdf.set_xy(MARGIN, top + QR_SIZE + 2)
    patient, team = contract.patient, contract.team
    _line(
        pdf,
        f"协议编号：{str(contract.external_id)[:8].upper()}　状态：{STATUS_ZH[contract.status]}",
    )
    _line(
        pdf,
        f"签约居民（乙方）：{patient.name}　性别：{patient.get_sex_display()}　"
        f"出生日期：{patient.birth_date:%Y-%m-%d}　身份证号：{patient.masked_id_number}",
    )
    _line(pdf, f"住址：{patient.address or '—'}　联系电话：{patient.phone or '—'}")
    _line(pdf, f"签约团队（甲方）：{team.name}（{team.institution.name}）")
    doctor = contract.doctor
    _line(pdf, f"签约家庭医生：{doctor.name}　{doctor.get_title_display()}")
    members = "、".join(
        f"{m.practitioner.name}（{ROLE_ZH.get(m.role, m.role)}）"
        for m in team.members.select_related("practitioner")
    )
    _line(pdf, f"团队成员：{members}")
    if contract.village:
        _line(pdf, f"所属村卫生室：{contract.village.name}")
    _line(pdf, f"服务期限：{contract.starts_on:%Y年%m月%d日} 至 {contract.ends_on:%Y年%m月%d日}")
    pdf.ln(2)
    _line(pdf, "服务包与服务内容", size=12)
    for line in contract.lines.select_related("package").prefetch_related("package__items"):
        _line(pdf, f"■ {line.package.name}　费用：{line.fee} 元/年")
        for item in line.package.items.all():
            times = f"每年 {item.times_per_year} 次" if item.times_per_year else "按需"
            _line(pdf, f"　　· {item.name}（{times}）", size=9.5)
    _line(pdf, f"合计费用：{contract.fee_total} 元/年（基本公共卫生服务项目免费）")
    pdf.ln(2)
    _line(
        pdf,
        "双方约定：甲方按服务包提供基本医疗、公共卫生和健康管理服务，对慢性病患者按《国家基本公共卫生"
        "服务规范（第三版）》每年至少面对面随访4次，需要时优先预约上级医院转诊；乙方如实提供健康信息，"
        "按约定接受随访。协议期满可续约；任何一方可书面提出解约并注明原因。",
        size=9.5,
    )
    pdf.ln(2)
    consent = CONSENT_ZH.get(contract.consent_method, contract.consent_method)
    _line(
        pdf,
        f"知情同意：{consent}　签署人：{contract.consent_by}　"
        f"签署时间：{timezone.localtime(contract.consent_at):%Y-%m-%d %H:%M}",
    )
    if contract.terminated_on:
        _line(
            pdf,
            f"解约日期：{contract.terminated_on:%Y-%m-%d}　"
            f"原因：{contract.get_termination_reason_display()}"
            f"{('　' + contract.termination_note) if contract.termination_note else ''}",
        )
    pdf.ln(8)
    _line(pdf, "甲方（签章）：＿＿＿＿＿＿＿＿　　　乙方（签字）：＿＿＿＿＿＿＿＿")
    pdf.set_y(-14)
    pdf.set_font(FONT, size=8)
    pdf.cell(
        0,
        5,
        f"打印时间 {timezone.localtime(printed_at):%Y-%m-%d %H:%M}　"
        "扫码打开电子协议　连心医共体协同平台",
        align="C",
    )
    return bytes(pdf.output())
