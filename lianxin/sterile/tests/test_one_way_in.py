"""One way in per action for the load steps: the loads pages and the API read the same input
forms (``sterile/inputs.py``), so one table of good and bad inputs gives the same answer and the
same message on both, and the centre staff of another county get 404 on every step of both
(docs/architecture.md, "One way in per action")."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.sterile import actions
from lianxin.sterile.inputs import LOAD_STEPS, MACHINE_STEPS
from lianxin.sterile.models import BowieDickTest, LoadStatus, Recall, SterilisationLoad, WasherLoad
from lianxin.sterile.rules import Step
from lianxin.sterile.tests.conftest import new_pack, scan
from lianxin.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _page_messages(response) -> list[str]:
    return sorted(str(m) for m in get_messages(response.wsgi_request))


def _as_page(form_class, body: dict) -> list[str]:
    """The API's answer as the page shows it: a field's messages after its label."""
    if "detail" in body:
        return [str(body["detail"])]
    out = []
    for name, messages in body.items():
        text = " ".join(str(m) for m in messages)
        field = form_class.base_fields.get(name)
        out.append(f"{field.label}: {text}" if field is not None and field.label else text)
    return sorted(out)


def _machine_of(cssd, which: str):
    return {"steriliser": cssd.steriliser, "washer": cssd.washer}[which]


# (case, machine, step, input, what it records or None when refused)
MACHINE_CASES = [
    ("B-D pass", "steriliser", "bowie_dick", {"passed": "1"}, BowieDickTest),
    ("B-D without a result", "steriliser", "bowie_dick", {}, None),
    ("B-D result not pass or fail", "steriliser", "bowie_dick", {"passed": "maybe"}, None),
    ("B-D on a washer", "washer", "bowie_dick", {"passed": "1"}, None),
    ("washer run", "washer", "washer_run", {"program": "WD90", "a0": "3000"}, WasherLoad),
    ("washer run, A0 not a number", "washer", "washer_run", {"program": "WD90", "a0": "x"}, None),
    ("washer run on a steriliser", "steriliser", "washer_run", {"program": "WD90"}, None),
    ("open a load", "steriliser", "open_load", {"program": "PV134"}, SterilisationLoad),
    ("open a load, unknown program", "steriliser", "open_load", {"program": "ZZ"}, None),
    ("open a load, washer program", "steriliser", "open_load", {"program": "WD90"}, None),
    ("open a load on a washer", "washer", "open_load", {"program": "PV134"}, None),
]


@pytest.mark.parametrize(
    "case,which,step,data,made", MACHINE_CASES, ids=[c[0] for c in MACHINE_CASES]
)
def test_a_machine_step_answers_alike_on_the_page_and_the_api(
    cssd, personas, case, which, step, data, made
):
    machine = _machine_of(cssd, which)
    url = reverse(f"sterile:{step.replace('_', '-')}", kwargs={"id": machine.external_id})
    page = _page(cssd.operator).post(url, data)
    assert page.status_code == 302
    page_messages = _page_messages(page)
    api = _api(cssd.operator).post(
        f"/api/sterile/machines/{machine.external_id}/{step.replace('_', '-')}/", data
    )
    if made is None:
        assert 400 <= api.status_code < 500, api.content
        assert page_messages == _as_page(MACHINE_STEPS[step], api.json())
        assert not any(m.objects.exists() for m in (BowieDickTest, WasherLoad, SterilisationLoad))
    else:
        assert api.status_code == 201, api.content
        assert made.objects.count() == 2
        assert page_messages == [str(MACHINE_STEPS[step].success)]


def test_an_opened_load_goes_to_its_sterilisation_scan_and_the_api_answers_it(cssd, personas):
    url = reverse("sterile:open-load", kwargs={"id": cssd.steriliser.external_id})
    page = _page(cssd.operator).post(url, {"program": "PV134"})
    load = SterilisationLoad.objects.get()
    assert page["Location"].endswith(f"/sterile/scan/sterilise/?load={load.external_id}")
    api = _api(cssd.operator).post(
        f"/api/sterile/machines/{cssd.steriliser.external_id}/open-load/", {"program": "PV134"}
    )
    assert api.json()["cycle_number"] == 2 and api.json()["status"] == LoadStatus.OPEN


def _load_with_a_pack(cssd, personas, code: str) -> SterilisationLoad:
    washer = actions.do_start_washer_load(
        actor=cssd.operator, machine=cssd.washer, program="WD90", a0=3000
    )
    new_pack(cssd, personas, code)
    scan(cssd.operator, Step.WASH, code, None, washer_load=washer)
    scan(cssd.operator, Step.PACK, code, None, checker=cssd.checker, contents_confirmed=True)
    load = actions.do_start_sterilisation_load(
        actor=cssd.operator, machine=cssd.steriliser, program="PV134"
    )
    scan(cssd.operator, Step.STERILISE, code, None, load=load)
    return load


GOOD_RUN = {"temperature": "134", "minutes": "4", "pressure_kpa": "205", "chemical_class": "5",
            "chemical_ok": "1"}  # fmt: skip

# (case, step, input, how the load ends up or None when refused)
LOAD_CASES = [
    ("run recorded", "finish", GOOD_RUN, LoadStatus.DONE),
    ("run without a temperature", "finish", {**GOOD_RUN, "temperature": ""}, None),
    ("run, temperature not a number", "finish", {**GOOD_RUN, "temperature": "hot"}, None),
    ("run, unknown indicator class", "finish", {**GOOD_RUN, "chemical_class": "3"}, None),
    ("release before the run", "release", {}, None),
    ("BI with nothing waiting", "bi", {"result": "negative"}, None),
    ("BI result unknown", "bi", {"result": "grey"}, None),
]


@pytest.mark.parametrize("case,step,data,status", LOAD_CASES, ids=[c[0] for c in LOAD_CASES])
def test_a_load_step_answers_alike_on_the_page_and_the_api(
    cssd, personas, case, step, data, status
):
    on_page = _load_with_a_pack(cssd, personas, "XD-700001")
    by_api = _load_with_a_pack(cssd, personas, "XD-700002")
    page = _page(cssd.operator).post(
        reverse(f"sterile:load-{step}", kwargs={"id": on_page.external_id}), data
    )
    assert page.status_code == 302
    api = _api(cssd.operator).post(f"/api/sterile/loads/{by_api.external_id}/{step}/", data)
    on_page.refresh_from_db()
    by_api.refresh_from_db()
    if status is None:
        assert 400 <= api.status_code < 500, api.content
        assert _page_messages(page) == _as_page(LOAD_STEPS[step], api.json())
        assert on_page.status == by_api.status == LoadStatus.OPEN
    else:
        assert api.status_code == 200, api.content
        assert on_page.status == by_api.status == status
        assert api.json()["status"] == status
        assert _page_messages(page) == [str(LOAD_STEPS[step].success)]


def test_a_positive_bi_read_on_the_page_opens_the_recall_page(cssd, personas):
    load = _load_with_a_pack(cssd, personas, "XD-700003")
    actions.do_record_bowie_dick(actor=cssd.operator, machine=cssd.steriliser, passed=True)
    client = _page(cssd.operator)
    client.post(reverse("sterile:load-finish", kwargs={"id": load.external_id}), GOOD_RUN)
    load.refresh_from_db()
    assert load.bi_result == "pending"  # the week's first load carries a BI
    page = client.post(
        reverse("sterile:load-bi", kwargs={"id": load.external_id}), {"result": "positive"}
    )
    recall = Recall.objects.get(trigger_load=load)
    assert page["Location"] == reverse("sterile:recall-detail", kwargs={"id": recall.external_id})


def test_the_centre_of_another_county_gets_404_on_every_step_of_both(cssd, personas):
    other = UserFactory(username="cssd_b", display_name="外县消毒员")
    MembershipFactory(user=other, institution=personas.county_b, role="sterile_staff")
    load = _load_with_a_pack(cssd, personas, "XD-700004")
    page, api = _page(other), _api(other)
    for step in MACHINE_STEPS:
        path = step.replace("_", "-")
        url = reverse(f"sterile:{path}", kwargs={"id": cssd.steriliser.external_id})
        assert page.post(url, {"passed": "1", "program": "PV134"}).status_code == 404
        api_url = f"/api/sterile/machines/{cssd.steriliser.external_id}/{path}/"
        assert api.post(api_url, {"passed": "1", "program": "PV134"}).status_code == 404
    for step in LOAD_STEPS:
        url = reverse(f"sterile:load-{step}", kwargs={"id": load.external_id})
        assert page.post(url, GOOD_RUN).status_code == 404
        assert (
            api.post(f"/api/sterile/loads/{load.external_id}/{step}/", GOOD_RUN).status_code == 404
        )
    load.refresh_from_db()
    assert load.status == LoadStatus.OPEN
    assert not BowieDickTest.objects.exists()
