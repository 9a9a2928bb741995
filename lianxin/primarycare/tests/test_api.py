"""The family-doctor API: the same input forms as the pages, the same answers."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.primarycare.actions import do_record_key_population
from lianxin.primarycare.models import Contract, Visit
from lianxin.primarycare.tests.test_contracts import sign

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def contract(personas, family, today):
    contract = sign(personas, family, starts_on=today - datetime.timedelta(days=20))
    do_record_key_population(actor=personas.doctor, contract=contract, population="hypertension")
    return contract


def test_the_team_lists_its_contracts_in_a_fixed_number_of_queries(
    personas, family, contract, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = api(personas.doctor).get("/api/family-doctor-contracts/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["patient_name"] == "张三" and row["packages"] == ["BASIC", "CHRONIC"]


def test_a_second_active_contract_over_the_api_is_a_400_with_the_same_message(
    personas, family, contract
):
    response = api(personas.doctor).post(
        "/api/family-doctor-contracts/",
        {
            "patient": str(personas.patient.external_id),
            "team": str(family.team.external_id),
            "doctor": str(family.lead.pk),
            "packages": [str(family.basic.external_id)],
            "consent_method": "signature",
            "consent_by": "张三",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "already has an active contract" in str(response.json())
    assert Contract.objects.count() == 1


def test_another_townships_team_gets_404_on_the_contract_and_its_visits(personas, family, contract):
    for user in (family.rival, personas.outsider):
        client = api(user)
        url = f"/api/family-doctor-contracts/{contract.external_id}/"
        assert client.get(url).status_code == 404
        response = client.post(
            url + "visits/",
            {"visited_at": timezone.now().isoformat(), "mode": "clinic"},
            format="json",
        )
        assert response.status_code == 404
    assert not Visit.objects.exists()


def test_a_visit_over_the_api_classifies_control_and_refuses_impossible_values(
    personas, family, contract
):
    client = api(family.villager)
    url = f"/api/family-doctor-contracts/{contract.external_id}/visits/"
    bad = client.post(
        url,
        {
            "visited_at": timezone.now().isoformat(),
            "mode": "clinic",
            "systolic": 80,
            "diastolic": 120,
        },
        format="json",
    )
    assert bad.status_code == 400 and "diastolic" in bad.json()
    good = client.post(
        url,
        {
            "visited_at": timezone.now().isoformat(),
            "mode": "home",
            "systolic": 132,
            "diastolic": 84,
        },
        format="json",
    )
    assert good.status_code == 201, good.content
    controls = {a["programme"]: a["control"] for a in good.json()["assessments"]}
    assert controls["hypertension"] == "controlled"


def test_terminating_over_the_api_then_a_visit_is_refused(personas, family, contract):
    client = api(personas.doctor)
    url = f"/api/family-doctor-contracts/{contract.external_id}/"
    assert client.post(url + "terminate/", {"reason": "moved"}, format="json").status_code == 200
    response = client.post(
        url + "visits/",
        {
            "visited_at": timezone.now().isoformat(),
            "mode": "clinic",
            "systolic": 130,
            "diastolic": 80,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "terminated" in str(response.json())


def test_the_commission_reads_the_figures_but_no_contract(personas, family, contract):
    client = api(personas.commission)
    assert client.get("/api/family-doctor-contracts/").status_code == 403
    figures = client.get("/api/family-doctor-figures/summary/")
    assert figures.status_code == 200
    assert figures.json()["totals"]["contracted"] == 1
    assert "张三" not in figures.content.decode()
