"""The printable referral form: a PDF with the embedded Chinese font, the referral's content and a
QR code that opens the referral; the same access rules as the referral page."""

from __future__ import annotations

import datetime
import io
import os

import pypdf
import pytest
import segno
from django.urls import reverse
from django.utils import timezone

from lianxin.core.models import AuditEvent
from lianxin.core.pdf import find_font
from lianxin.referrals.actions import (
    do_accept_referral,
    do_complete_referral,
    do_create_referral,
    do_publish_slots,
    do_record_arrival,
)
from lianxin.referrals.actions.referrals import PlanItem
from lianxin.referrals.printing import short_number

pytestmark = pytest.mark.django_db


def _font_installed() -> bool:
    try:
        find_font()
    except Exception:
        return False
    return True


needs_font = pytest.mark.skipif(
    not _font_installed() and not os.environ.get("CI"),
    reason="no CJK font: install fonts-wqy-microhei (scripts/test.sh does when run as root)",
)


@pytest.fixture
def up_referral(personas, cardiology):
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=cardiology,
        requested_practitioner=cardiology.practitioners.get(),
        requester_department=personas.department_a,
        reason="胸痛反复发作三月，加重一周，需冠脉评估",
        diagnosis_code="I20.0",
        diagnosis_text="不稳定型心绞痛",
        history_summary="高血压病史十年，" * 40,
    )


@pytest.fixture
def down_referral(personas, cardiology, up_referral):
    """A down-referral back to the township with a care plan long enough for a second page."""
    do_accept_referral(actor=personas.specialist, referral=up_referral)
    today = timezone.localdate()
    plan = [
        PlanItem(
            "visit",
            f"第{n}次复诊：血压、心率，调整用药，评估胸痛症状",
            today + datetime.timedelta(days=7 * n),
        )
        for n in range(1, 41)
    ]
    return do_create_referral(
        actor=personas.specialist,
        patient=personas.patient,
        direction="down",
        performer_institution=personas.township_a,
        reason="PCI 术后病情稳定，转回基层随访",
        diagnosis_code="I25.1",
        diagnosis_text="冠状动脉粥样硬化性心脏病",
        care_plan="阿司匹林、氯吡格雷双抗十二个月，他汀长期服用",
        follow_ups=plan,
        follows=up_referral,
    )


def _print(client, referral):
    return client.get(reverse("referrals:print", kwargs={"id": referral.external_id}))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _qr_modules(pdf: bytes) -> list[list[bool]]:
    """Read the QR image back out of the PDF and sample one pixel in the middle of each module,
    so that the test compares what a scanner would see, not what the code meant to draw."""
    images = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    assert len(images) == 1
    image = images[0].image.convert("L")
    width, height = image.size
    pixels = image.load()
    dark = [(x, y) for y in range(height) for x in range(width) if pixels[x, y] < 128]
    left, top = min(x for x, _ in dark), min(y for _, y in dark)
    right, bottom = max(x for x, _ in dark), max(y for _, y in dark)
    # The finder pattern in the top-left corner is 7 modules wide.
    module = next(x for x in range(left, right + 1) if pixels[x, top] >= 128) - left
    module /= 7
    count = round((right - left + 1) / module)
    assert count == round((bottom - top + 1) / module)
    return [
        [
            pixels[int(left + (col + 0.5) * module), int(top + (row + 0.5) * module)] < 128
            for col in range(count)
        ]
        for row in range(count)
    ]


@needs_font
def test_the_form_is_a_pdf_with_the_font_embedded_and_the_referral_in_it(personas, up_referral):
    response = _print(personas.client("doctor"), up_referral)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition == f'inline; filename="referral-{short_number(up_referral)}.pdf"'
    assert "no-store" in response["Cache-Control"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert b"/FontFile2" in pdf
    text = _text(pdf)
    for expected in (
        "双向转诊（上转）单",
        short_number(up_referral),
        "张三",
        personas.patient.id_number,
        "城关镇卫生院",
        "全科",
        "王医生",
        "尤溪县总医院",
        "心血管内科",
        "李主任",
        "不稳定型心绞痛",
        "I20.0",
        "胸痛反复发作三月",
        "已发出，待接诊",
    ):
        assert expected in text, expected
    # The long history wraps instead of running off the page: all of it is there.
    assert text.replace("\n", "").count("高血压病史十年") == 40
    # Nothing else personal: no phone number or address of the patient.
    assert personas.patient.phone not in text
    assert personas.patient.address not in text.replace("\n", "")


@needs_font
def test_the_qr_code_opens_the_referral_page(personas, up_referral):
    pdf = _print(personas.client("doctor"), up_referral).content
    url = "http://testserver" + reverse("referrals:detail", kwargs={"id": up_referral.external_id})
    expected = [[bool(v) for v in row] for row in segno.make(url, error="m").matrix]
    assert _qr_modules(pdf) == expected
    other = segno.make(url.replace(str(up_referral.external_id)[:8], "00000000"), error="m")
    assert _qr_modules(pdf) != [[bool(v) for v in row] for row in other.matrix]
    assert "扫码打开电子转诊单" in _text(pdf)


@needs_font
def test_the_receiving_side_prints_the_booked_slot_and_the_outcome(
    personas, cardiology, head, tomorrow_9, up_referral
):
    slot = do_publish_slots(
        actor=head,
        department=cardiology,
        starts_at=tomorrow_9,
        minutes=20,
        count=1,
        practitioner=cardiology.practitioners.get(),
    )[0]
    do_accept_referral(actor=personas.specialist, referral=up_referral, slot=slot)
    do_record_arrival(actor=personas.specialist, referral=up_referral)
    do_complete_referral(
        actor=personas.specialist,
        referral=up_referral,
        outcome_summary="冠脉造影示单支病变，PCI 术后出院",
    )
    text = _text(_print(personas.client("specialist"), up_referral).content)
    assert "预约时间" in text
    assert timezone.localtime(tomorrow_9).strftime("%Y-%m-%d 09:00") in text
    assert "已完成，结果已回传" in text
    assert "冠脉造影示单支病变" in text


@needs_font
def test_a_down_referral_prints_its_care_plan_and_flows_onto_more_pages(personas, down_referral):
    pdf = _print(personas.client("specialist"), down_referral).content
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = _text(pdf)
    assert "双向转诊（下转）单" in text
    # The referring department is the specialist's own when the referral names none.
    assert "科室：心血管内科" in text
    assert "阿司匹林" in text
    assert "第1次复诊" in text and "第40次复诊" in text
    last_due = (timezone.localdate() + datetime.timedelta(days=7 * 40)).isoformat()
    assert last_due in text
    assert f"1/{len(reader.pages)}" in text


@needs_font
def test_an_emergency_is_marked_as_green_channel(personas, cardiology):
    referral = do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=cardiology,
        urgency="emergency",
        reason="持续胸痛两小时，心电图 ST 段抬高",
        diagnosis_code="I21.0",
        diagnosis_text="急性前壁心肌梗死",
    )
    text = _text(_print(personas.client("doctor"), referral).content)
    assert "急诊 · 绿色通道" in text
    assert "决定转诊" in text


@needs_font
def test_printing_writes_the_read_audit_row(personas, up_referral):
    before = AuditEvent.objects.filter(action="patient.read").count()
    assert _print(personas.client("specialist"), up_referral).status_code == 200
    reads = AuditEvent.objects.filter(action="patient.read").order_by("-id")
    assert reads.count() == before + 1
    row = reads.first()
    assert row.actor == personas.specialist
    assert row.after == {"channel": "referral-print"}


@pytest.mark.parametrize("persona", ["outsider", "commission"])
def test_it_answers_404_outside_the_referral_and_audits_nothing(persona, personas, up_referral):
    before = AuditEvent.objects.filter(action="patient.read").count()
    assert _print(personas.client(persona), up_referral).status_code == 404
    assert AuditEvent.objects.filter(action="patient.read").count() == before


def test_an_anonymous_visitor_is_sent_to_sign_in(personas, up_referral):
    response = _print(personas.client(None), up_referral)
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_without_a_font_it_says_what_to_install_instead_of_failing(
    personas, up_referral, settings, tmp_path
):
    settings.LIANXIN_PDF_FONT = str(tmp_path / "missing.ttc")
    before = AuditEvent.objects.filter(action="patient.read").count()
    response = _print(personas.client("doctor"), up_referral)
    assert response.status_code == 503
    assert "fonts-wqy-microhei" in response.content.decode()
    assert AuditEvent.objects.filter(action="patient.read").count() == before


@needs_font
def test_a_configured_font_path_list_is_searched_in_order(settings, tmp_path):
    found = find_font()
    settings.LIANXIN_PDF_FONT = os.pathsep.join([str(tmp_path / "missing.ttf"), str(found)])
    assert find_font() == found


@needs_font
def test_a_referring_user_without_a_practitioner_record_is_named_by_the_account(
    personas, cardiology
):
    referral = do_create_referral(
        actor=personas.colleague,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        reason="血压控制不佳",
        diagnosis_text="高血压病 3 级",
    )
    text = _text(_print(personas.client("colleague"), referral).content)
    assert "转诊医师：colleague" in text


@needs_font
def test_printing_a_long_care_plan_takes_a_fixed_number_of_queries(
    personas, down_referral, django_assert_max_num_queries
):
    client = personas.client("specialist")
    with django_assert_max_num_queries(20):
        assert _print(client, down_referral).status_code == 200
