"""The pages as each persona sees them: the team's doctors work, another township's team and
other counties get a 404, the commission reads figures only."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianxin.primarycare.actions import (
    VisitInput,
    do_record_key_population,
    do_record_visit,
)
from lianxin.primarycare.assess import Measurements
from lianxin.primarycare.models import Visit
from lianxin.primarycare.tests.test_contracts import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(personas, family, today):
    contract = sign(personas, family, starts_on=today - datetime.timedelta(days=20))
    do_record_key_population(actor=personas.doctor, contract=contract, population="hypertension")
    return contract


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_village_doctor_sees_the_resident_due_on_the_week_list(
    personas, family, contract, django_assert_max_num_queries
):
    import time_machine

    with time_machine.travel(timezone.now() + datetime.timedelta(days=14)):
        client = login(family.villager)
        with django_assert_max_num_queries(20):
            page = client.get(reverse("primarycare:week"))
    assert page.status_code == 200
    assert "张三" in page.content.decode()


def test_another_townships_team_gets_a_404_for_the_contract_and_the_visit_page(
    personas, family, contract
):
    for user in (family.rival, personas.outsider):
        client = login(user)
        assert (
            client.get(
                reverse("primarycare:contract", kwargs={"id": contract.external_id})
            ).status_code
            == 404
        )
        url = reverse("primarycare:visit", kwargs={"id": contract.external_id})
        assert client.post(url, {"mode": "clinic", "systolic": 130}).status_code == 404
        assert "张三" not in client.get(reverse("primarycare:week")).content.decode()
    assert not Visit.objects.exists()


def test_recording_a_visit_takes_one_page(personas, family, contract):
    client = login(family.villager)
    url = reverse("primarycare:visit", kwargs={"id": contract.external_id})
    page = client.get(url)
    assert page.status_code == 200
    plans = page.context["form"].initial["plans"]
    response = client.post(
        url,
        {
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "mode": "home",
            "plans": plans,
            "systolic": "134",
            "diastolic": "82",
            "weight_kg": "63.5",
            "medication": "氨氯地平",
            "adherence": "regular",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.systolic == 134 and visit.site == personas.village_a
    # The contract page names people, never by their user name.
    page = client.get(response["Location"]).content.decode()
    consent = next(part for part in page.split("</dd>") if "张三 ·" in part)
    assert "王医生" in consent and str(personas.doctor.display_name) not in consent
    assert "李村医" in page
    assert f"{timezone.localtime(visit.visited_at):%Y-%m-%d %H:%M}" in page


def test_an_impossible_value_is_shown_on_the_form_and_nothing_is_written(family, contract):
    client = login(family.villager)
    url = reverse("primarycare:visit", kwargs={"id": contract.external_id})
    response = client.post(
        url,
        {
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "mode": "clinic",
            "systolic": "80",
            "diastolic": "120",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["diastolic"]
    assert not Visit.objects.exists()


def test_the_contract_prints_as_a_pdf_with_its_qr(personas, family, contract):
    response = login(personas.doctor).get(
        reverse("primarycare:contract-print", kwargs={"id": contract.external_id})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_commission_reads_the_figures_and_no_resident_row(personas, family, contract):
    do_record_visit(
        actor=family.villager,
        contract=contract,
        data=VisitInput(timezone.now(), "clinic", Measurements(systolic=130, diastolic=80)),
    )
    client = login(personas.commission)
    page = client.get(reverse("primarycare:figures"))
    assert page.status_code == 200
    totals = page.context["figures"].totals
    assert totals["contracted"] == 1 and totals["residents"] == 1
    assert totals["htn_managed"] == 1 and totals["htn_controlled"] == 1
    assert "张三" not in page.content.decode()
    assert client.get(reverse("primarycare:week")).status_code == 403
    assert (
        client.get(reverse("primarycare:contract", kwargs={"id": contract.external_id})).status_code
        == 403
    )
    export = client.get(reverse("primarycare:figures-export"))
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_figures_count_a_standardised_patient_after_four_face_to_face_visits(
    personas, family, contract
):
    from lianxin.primarycare import figures
    from lianxin.primarycare.models import Team

    now = timezone.now()
    for days, mode in ((18, "clinic"), (12, "home"), (8, "phone"), (5, "clinic"), (1, "home")):
        do_record_visit(
            actor=family.villager,
            contract=contract,
            data=VisitInput(
                now - datetime.timedelta(days=days),
                mode,
                Measurements(systolic=150, diastolic=85, glucose=Decimal("6.0")),
            ),
        )
    result = figures.compute(Team.objects.filter(pk=family.team.pk), timezone.localdate().year)
    row = result.by_team[0]
    assert row["htn_managed"] == 1
    assert row["htn_standard"] == 1  # 4 face-to-face; the phone call does not count
    assert row["htn_controlled"] == 0  # 150/85 is not below 140/90
    assert row["contract_rate"] == 100.0


def test_the_excel_export_is_aggregates_with_labelled_columns(personas, family, contract):
    import io

    from openpyxl import load_workbook

    from lianxin.primarycare import figures

    export = login(personas.commission).get(reverse("primarycare:figures-export"))
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content), read_only=True)
    cells = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert len(book.sheetnames) == 4
    assert "张三" not in " ".join(cells)  # aggregates only: no resident
    assert not set(figures.COUNTS) & set(cells)  # every count is headed by its label
    teams = book.worksheets[1]
    head = next(teams.iter_rows(values_only=True))
    assert str(figures.COUNT_LABELS["htn_managed"]) in head
    row = next(teams.iter_rows(min_row=2, values_only=True))
    assert row[head.index(str(figures.COUNT_LABELS["contracted"]))] == 1


def test_a_managed_patient_counts_as_admitted_once_the_county_hospital_records_arrival(
    personas, family, contract
):
    from lianxin.primarycare import figures
    from lianxin.primarycare.models import Team
    from lianxin.referrals.actions import (
        do_accept_referral,
        do_create_referral,
        do_record_arrival,
    )

    def admission_figures():
        teams = Team.objects.filter(pk=family.team.pk).select_related("institution")
        return figures.compute(teams, timezone.localdate().year).totals

    up = do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        reason="血压控制不佳",
        diagnosis_text="高血压",
    )
    totals = admission_figures()
    assert (totals["chronic_managed"], totals["admitted"]) == (1, 0)  # sent, not arrived
    do_accept_referral(actor=personas.specialist, referral=up)
    do_record_arrival(actor=personas.specialist, referral=up)
    totals = admission_figures()
    assert (totals["chronic_managed"], totals["admitted"]) == (1, 1)
    assert totals["admission_rate"] == 100.0


def test_the_contract_page_offers_renewal_only_when_it_is_open_and_no_preset_choices(
    personas, family, contract
):
    import time_machine

    from lianxin.primarycare.rules import RENEW_FROM_DAYS_BEFORE_END

    client = login(personas.doctor)
    url = reverse("primarycare:contract", kwargs={"id": contract.external_id})
    page = client.get(url)
    assert not page.context["may_renew"]
    html = page.content.decode()
    assert reverse("primarycare:renew", kwargs={"id": contract.external_id}) not in html
    assert f"{page.context['renew_from']:%Y-%m-%d}" in html
    # Leaving a list as it is records nothing: the key population and the reason start blank.
    assert '<option value="" selected>—</option>' in html
    opens = contract.ends_on - datetime.timedelta(days=RENEW_FROM_DAYS_BEFORE_END)
    with time_machine.travel(
        timezone.make_aware(datetime.datetime.combine(opens, datetime.time(9)))
    ):
        client = login(personas.doctor)  # the first session has expired by then
        page = client.get(url)
    assert page.context["may_renew"]
    assert reverse("primarycare:renew", kwargs={"id": contract.external_id}) in (
        page.content.decode()
    )
    response = client.post(
        reverse("primarycare:terminate", kwargs={"id": contract.external_id}), {"reason": ""}
    )
    contract.refresh_from_db()
    assert contract.status == "active"
    assert response.status_code in (200, 302)
