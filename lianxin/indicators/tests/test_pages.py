"""The dashboard, an indicator's page, its drill-down, the feeds, the evidence and the exports,
as each persona meets them; the health commission never reaches a patient row."""

from __future__ import annotations

import io

import pytest

from lianxin.indicators.models import Evidence, Judgement, Target
from lianxin.indicators.tests.helpers import csv, lead_admin, load
from lianxin.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
Q = "?period=2025-01"


@pytest.fixture
def county(personas):
    admin = lead_admin(personas)
    load(personas, admin)
    personas.lead_admin = admin
    return personas


def test_the_commission_reads_every_indicator_but_never_a_patient_row(client, county):
    client.force_login(county.commission)
    response = client.get(f"/indicators/{Q}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "县域内基层医疗卫生机构诊疗人次数占比" in body and "40" in body
    for number in range(1, 15):
        page = client.get(f"/indicators/{number}/?period=2025")
        assert page.status_code == 200, number
        text = page.content.decode()
        assert county.patient.name not in text
        assert "/rows/" not in text  # the drill-down stops at the institution
    for inst in (county.county_a, county.township_a):
        assert client.get(f"/indicators/7/rows/{inst.external_id}/{Q}").status_code == 404
    api = client.get("/api/indicators/7/breakdown/?period=2025-01")
    assert api.status_code == 200 and county.patient.name not in api.content.decode()


def test_the_lead_hospital_drills_down_to_the_imported_rows(client, county):
    client.force_login(county.lead_admin)
    page = client.get(f"/indicators/7/{Q}")
    assert f"/indicators/7/rows/{county.township_a.external_id}/" in page.content.decode()
    rows = client.get(f"/indicators/7/rows/{county.township_a.external_id}/{Q}")
    assert rows.status_code == 200 and "250" in rows.content.decode()


def test_a_clinician_without_aggregates_is_refused_and_another_county_is_not_found(client, county):
    client.force_login(county.doctor)
    assert client.get("/indicators/").status_code == 403
    reader = UserFactory(username="b_reader")
    MembershipFactory(user=reader, institution=county.county_b, role="department_head")
    client.force_login(reader)
    assert client.get(f"/indicators/?community={county.community_a.external_id}").status_code == 404
    assert (
        client.get(
            f"/api/indicators/figures/?community={county.community_a.external_id}"
        ).status_code
        == 404
    )


def test_a_wrong_period_is_a_message_not_an_error(client, county):
    client.force_login(county.commission)
    response = client.get("/indicators/?period=2025-13")
    assert response.status_code == 200 and "is not a period" in response.content.decode()
    api = client.get("/api/indicators/figures/?period=banana")
    assert api.status_code == 400
    assert client.get("/api/indicators/figures/?search=x").status_code == 400


def test_the_figures_api_gives_value_provenance_and_edition(client, county):
    client.force_login(county.commission)
    data = client.get("/api/indicators/figures/?period=2025-01").json()
    seven = next(f for f in data["figures"] if f["indicator"] == "2024.07")
    assert (seven["value"], seven["numerator"], seven["denominator"]) == ("40.00", "400", "1000")
    assert seven["edition"] == "2024" and seven["period"] == "2025-01"
    assert seven["sources"][0]["rows"] == 5 and seven["sources"][0]["imports"]
    catalogue = client.get("/api/indicators/catalogue/").json()
    assert len(catalogue["indicators"]) == 14


def test_the_import_page_shows_the_per_row_report_and_writes_nothing(client, county):
    from lianxin.indicators.models import FeedImport

    client.force_login(county.lead_admin)
    before = FeedImport.objects.count()
    upload = io.BytesIO(csv("机构编码,日期,类别,人次", "BAD,2025-03-01,门诊,1"))
    upload.name = "march.csv"
    response = client.post(
        "/indicators/feeds/",
        {
            "kind": "encounters",
            "period_start": "2025-03-01",
            "period_end": "2025-03-31",
            "file": upload,
        },
    )
    assert response.status_code == 400
    assert "BAD" in response.content.decode()
    assert FeedImport.objects.count() == before
    good = io.BytesIO(csv("机构编码,日期,类别,人次", f"{county.county_a.code},2025-03-01,门诊,1"))
    good.name = "march.csv"
    response = client.post(
        "/indicators/feeds/",
        {
            "kind": "encounters",
            "period_start": "2025-03-01",
            "period_end": "2025-03-31",
            "file": good,
        },
    )
    assert response.status_code == 302 and FeedImport.objects.count() == before + 1
    client.force_login(county.commission)
    assert client.get("/indicators/feeds/").status_code == 200


def test_evidence_is_submitted_by_the_county_and_judged_by_the_commission(client, county):
    client.force_login(county.lead_admin)
    response = client.post(
        "/indicators/evidence/",
        {
            "indicator": "2024.01",
            "year": 2025,
            "title": "统一管理办法",
            "description": "文件",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (
        client.post(
            f"/indicators/evidence/{evidence.external_id}/judge/", {"judgement": "met"}
        ).status_code
        == 403
    )
    client.force_login(county.commission)
    client.post(f"/indicators/evidence/{evidence.external_id}/judge/", {"judgement": "not_met"})
    evidence.refresh_from_db()
    assert evidence.judgement == Judgement.PENDING  # a shortfall needs its reason
    client.post(
        f"/indicators/evidence/{evidence.external_id}/judge/?period=2025",
        {"judgement": "met", "note": ""},
    )
    evidence.refresh_from_db()
    assert evidence.judgement == Judgement.MET and evidence.judged_by == county.commission
    page = client.get("/indicators/1/?period=2025").content.decode()
    assert "Met" in page


def test_the_commission_sets_a_target_that_the_dashboard_shows(client, county):
    client.force_login(county.commission)
    response = client.post(
        "/indicators/7/target/?period=2025-01", {"year": 2025, "value": "65", "source": "省级目标"}
    )
    assert response.status_code == 302
    assert Target.objects.get().value == 65
    assert "65" in client.get(f"/indicators/{Q}").content.decode()
    response = client.post(
        "/indicators/7/target/?period=2025-01", {"year": 2025, "value": "165", "source": "x"}
    )
    assert Target.objects.get().value == 65  # a percentage is at most 100


def test_the_excel_export_has_the_figures_and_each_breakdown(client, county):
    from openpyxl import load_workbook

    client.force_login(county.commission)
    response = client.get(f"/indicators/export.xlsx{Q}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    seven = next(r for r in rows if r[0] == 7)
    assert seven[5] == 40.0 and seven[7] == 400 and seven[8] == 1000
    assert "07" in book.sheetnames


def test_the_annual_report_is_a_pdf_with_every_indicator(client, county):
    import shutil

    from pypdf import PdfReader

    from lianxin.core.pdf import FontUnavailable, find_font

    try:
        find_font()
    except FontUnavailable:
        pytest.skip("no CJK font installed (Debian fonts-wqy-microhei)")
    assert shutil.which  # the report draws its charts with matplotlib
    client.force_login(county.commission)
    response = client.get("/indicators/report.pdf?period=2025")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "县域内基层医疗卫生机构诊疗人次数占比" in text.replace("\n", "")
