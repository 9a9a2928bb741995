"""The scanning pages, the load and recall pages, the label and report PDFs, the figures' Excel
export and the API, as the centre, a branch nurse and an outsider use them."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from lianxin.core.models import AuditEvent
from lianxin.sterile import actions
from lianxin.sterile.models import Pack, PackEvent, Recall
from lianxin.sterile.rules import PackStatus
from lianxin.sterile.tests.conftest import at, new_pack, sterilise, to_branch, use

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_scan_of_an_unknown_barcode_says_so_on_the_page_and_changes_nothing(cssd, personas):
    events = PackEvent.objects.count()
    response = _client(cssd.operator).post(
        "/sterile/scan/collect/",
        {"step": "collect", "barcode": "XD-777777"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "XD-777777" in response.content.decode() and 'role="alert"' in response.content.decode()
    assert PackEvent.objects.count() == events


def test_the_issue_page_issues_a_stored_pack_and_refuses_it_the_second_time(cssd, personas):
    new_pack(cssd, personas, "XD-400001")
    sterilise(cssd, ["XD-400001"], timezone.now())
    client = _client(cssd.operator)
    page = client.get("/sterile/scan/issue/")
    assert page.status_code == 200 and personas.township_a.name in page.content.decode()
    form = {"step": "issue", "barcode": "XD-400001", "branch": personas.township_a.external_id}
    first = client.post("/sterile/scan/issue/", form, HTTP_HX_REQUEST="true")
    assert "XD-400001" in first.content.decode() and "alert" not in first.content.decode()
    second = client.post("/sterile/scan/issue/", form)
    assert second.status_code == 400 and "not its next step" in second.content.decode()
    assert Pack.objects.get(barcode="XD-400001").status == PackStatus.ISSUED


def test_a_branch_nurse_sees_no_centre_step_and_an_outsider_no_sterile_page(cssd, personas):
    assert _client(cssd.nurse).get("/sterile/scan/wash/").status_code == 403
    assert _client(cssd.nurse).get("/sterile/scan/use/").status_code == 200
    assert _client(personas.admin).get("/sterile/").status_code == 403


def test_the_recall_page_lists_the_patient_and_the_report_prints(cssd, personas):
    new_pack(cssd, personas, "XD-400002")
    load = sterilise(cssd, ["XD-400002"], at())
    to_branch(cssd, personas, "XD-400002", at(hours=2))
    use(cssd, "XD-400002", personas.patient, at(hours=3))
    actions.do_read_biological_indicator(actor=cssd.operator, load=load, positive=True, now=at(1))
    recall = Recall.objects.get()
    client = _client(cssd.operator)
    page = client.get(f"/sterile/recalls/{recall.external_id}/")
    body = page.content.decode()
    assert personas.patient.name in body and "清创缝合术" in body and cssd.surgeon.name in body
    assert AuditEvent.objects.filter(action="sterile.recall.read").count() == 1
    report = client.get(f"/sterile/recalls/{recall.external_id}/report.pdf")
    assert report.status_code == 200 and report["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(report.content)).pages[0].extract_text()
    assert "XD-400002" in text and personas.patient.name in text
    # The outsider's county sees no such recall.
    assert _client(personas.outsider).get(
        f"/sterile/recalls/{recall.external_id}/"
    ).status_code in (
        403,
        404,
    )


def test_a_pack_label_carries_its_barcode(cssd, personas):
    pack = new_pack(cssd, personas, "XD-400003")
    response = _client(cssd.operator).get(f"/sterile/packs/{pack.external_id}/label.pdf")
    assert response.status_code == 200
    assert "XD-400003" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_the_figures_export_counts_loads_and_failures(cssd, personas):
    new_pack(cssd, personas, "XD-400004")
    sterilise(cssd, ["XD-400004"], timezone.now())
    response = _client(cssd.operator).get("/sterile/figures.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["灭菌器"].values)
    assert rows[1][:3] == (cssd.steriliser.name, 1, 0)


def test_the_api_scan_uses_the_same_rules_and_answers_4xx_with_a_message(cssd, personas):
    new_pack(cssd, personas, "XD-400005")
    api = APIClient()
    api.force_authenticate(cssd.operator)
    bad = api.post("/api/sterile/packs/scan/", {"step": "pack", "barcode": "XD-400005"})
    assert bad.status_code == 400 and "not its next step" in bad.json()["detail"]
    washer = actions.do_start_washer_load(
        actor=cssd.operator, machine=cssd.washer, program="WD90", a0=900
    )
    ok = api.post(
        "/api/sterile/packs/scan/",
        {"step": "wash", "barcode": "XD-400005", "washer_load": str(washer.external_id)},
    )
    assert ok.status_code == 201 and ok.json()["status"] == "washed"
    outsider = APIClient()
    outsider.force_authenticate(personas.outsider)
    assert outsider.get("/api/sterile/packs/").json()["results"] == []


def test_the_pack_list_costs_the_same_queries_for_one_pack_or_many(
    cssd, personas, django_assert_max_num_queries
):
    for n in range(5):
        new_pack(cssd, personas, f"XD-41000{n}")
    api = APIClient()
    api.force_authenticate(cssd.operator)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/sterile/packs/").json()["results"]) == 5


def test_words_the_centre_shares_with_other_pages_read_as_the_centre_means_them(cssd, personas):
    from django.utils import translation

    from lianxin.sterile.models import LoadStatus

    with translation.override("zh-hans"):
        assert str(LoadStatus.FAILED.label) == "不合格"
        catalogue = _client(cssd.operator).get(
            "/sterile/catalogue/", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        figures = _client(cssd.operator).get("/sterile/figures/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        collect = _client(cssd.operator).get(
            "/sterile/scan/collect/", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert "条件" in catalogue.content.decode() and "病情" not in catalogue.content.decode()
    assert "起始日期" in figures.content.decode() and "未完成" not in figures.content.decode()
    assert "器械情况" in collect.content.decode()
