"""Pages as each persona: the ordering site and the centre see their orders, another
institution gets 404, the health commission no patient rows, anonymous visitors the login."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.core.workflow import Status
from lianxin.diagnostics.models import CriticalResult, ExamOrder, Recognition
from lianxin.diagnostics.tests.helpers import claimed, order, performed, reported

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_the_login(client):
    for name in ("diagnostics:orders", "diagnostics:worklist", "diagnostics:critical-results"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_site_lists_its_exams_and_others_do_not_see_them(personas, centre):
    item = order(personas)
    page = personas.client("doctor").get(reverse("diagnostics:orders"))
    assert item.accession_number in page.content.decode()
    url = reverse("diagnostics:order-detail", kwargs={"id": item.external_id})
    assert personas.client("doctor").get(url).status_code == 200
    assert _client(centre.attending).get(url).status_code == 200
    assert personas.client("outsider").get(url).status_code == 404
    assert personas.client("commission").get(url).status_code == 404
    assert personas.client("commission").get(reverse("diagnostics:orders")).status_code == 403


def test_the_worklist_lists_studies_in_a_bounded_number_of_queries(
    personas, centre, django_assert_max_num_queries
):
    for code in ("CT-CHEST", "DR-CHEST", "CT-HEAD", "US-ABD"):
        performed(personas, centre, code)
    client = _client(centre.attending)
    # The page's own queries plus the audited read of the patients it lists (head, row, head),
    # and the count of studies waiting in the reconciliation queue.
    with django_assert_max_num_queries(18):
        page = client.get(reverse("diagnostics:worklist"))
    assert page.status_code == 200
    assert page.content.decode().count("/diagnostics/orders/") == 4
    assert personas.client("doctor").get(reverse("diagnostics:worklist")).status_code == 200
    assert personas.client("commission").get(reverse("diagnostics:worklist")).status_code == 403


def test_a_reader_claims_drafts_and_signs_through_the_page(personas, centre):
    item = performed(personas, centre)
    act = reverse("diagnostics:order-act", kwargs={"id": item.external_id})
    resident, attending = _client(centre.resident), _client(centre.attending)
    resident.post(act, {"step": "claim"})
    resident.post(act, {"step": "draft", "findings": "双肺清晰", "impression": "未见异常"})
    response = resident.post(act, {"step": "sign"}, follow=True)
    assert "attending" in response.content.decode()
    assert ExamOrder.objects.get(pk=item.pk).status == Status.IN_PROGRESS
    attending.post(act, {"step": "sign"})
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    # The orderer opening the page marks it seen; the centre opening it does not.
    attending.get(reverse("diagnostics:order-detail", kwargs={"id": item.external_id}))
    assert ExamOrder.objects.get(pk=item.pk).viewed_at is None
    personas.client("doctor").get(
        reverse("diagnostics:order-detail", kwargs={"id": item.external_id})
    )
    assert ExamOrder.objects.get(pk=item.pk).viewed_at is not None


def test_an_outsider_cannot_act_on_an_order(personas, centre):
    item = performed(personas, centre)
    act = reverse("diagnostics:order-act", kwargs={"id": item.external_id})
    assert personas.client("outsider").post(act, {"step": "claim"}).status_code == 404
    assert ExamOrder.objects.get(pk=item.pk).owner is None


def test_the_critical_register_and_acknowledgement_page(
    personas, centre, django_assert_max_num_queries
):
    item = claimed(personas, centre)
    from lianxin.diagnostics import actions

    result = actions.do_raise_critical_result(actor=centre.resident, order=item, finding="气胸")
    client = personas.client("doctor")
    # The page's own queries plus the audited read of the patients it lists (head, row, head),
    # and the count of studies waiting in the reconciliation queue.
    with django_assert_max_num_queries(18):
        page = client.get(reverse("diagnostics:critical-results"))
    assert "气胸" in page.content.decode()
    assert (
        "气胸"
        not in personas.client("outsider")
        .get(reverse("diagnostics:critical-results"))
        .content.decode()
    )
    detail = reverse("diagnostics:critical-detail", kwargs={"id": result.external_id})
    assert personas.client("outsider").get(detail).status_code == 404
    ack = reverse("diagnostics:critical-ack", kwargs={"id": result.external_id})
    personas.client("doctor").post(ack, {"read_back": "收到"})
    assert CriticalResult.objects.get(pk=result.pk).status == Status.REQUESTED
    personas.client("doctor").post(ack, {"read_back": "气胸"})
    assert CriticalResult.objects.get(pk=result.pk).status == Status.COMPLETED
    assert (
        personas.client("commission").get(reverse("diagnostics:critical-results")).status_code
        == 403
    )


def test_the_figures_page_gives_the_commission_aggregates(personas, centre):
    reported(personas, centre)
    page = personas.client("commission").get(reverse("diagnostics:figures"))
    assert page.status_code == 200
    body = page.content.decode()
    assert centre.imaging.name in body and personas.patient.name not in body
    assert personas.client("outsider").get(reverse("diagnostics:figures")).status_code == 200


def test_the_order_form_shows_recognisable_results_first_and_records_the_decision(personas, centre):
    prior = reported(personas, centre, "CT-CHEST")
    url = (
        reverse("diagnostics:order-create")
        + f"?patient={personas.patient.external_id}&exam=CT-CHEST"
    )
    page = personas.client("doctor").get(url)
    assert page.status_code == 200 and prior.performer_institution.name in page.content.decode()
    report = prior.reports.get()
    personas.client("doctor").post(url, {"exam": "CT-CHEST", "recognise": str(report.external_id)})
    decision = Recognition.objects.get()
    assert decision.decision == "recognised" and decision.avoided_cost == prior.exam.price
    assert ExamOrder.objects.count() == 1
    assert personas.client("outsider").get(url).status_code == 404


def test_the_patient_page_shows_results_from_the_network(personas, centre):
    item = reported(personas, centre)
    page = personas.client("doctor").get(
        reverse("patients:detail", kwargs={"id": personas.patient.external_id})
    )
    body = page.content.decode()
    assert item.exam.name in body and "recognisable until" in body


def test_the_centre_schedules_an_order_at_a_chosen_time_on_the_page(personas, centre):
    import datetime

    from django.utils import timezone

    item = order(personas)
    detail = reverse("diagnostics:order-detail", kwargs={"id": item.external_id})
    act = reverse("diagnostics:order-act", kwargs={"id": item.external_id})
    resident = _client(centre.resident)
    body = resident.get(detail).content.decode()
    assert 'type="datetime-local" name="scheduled_at"' in body
    when = timezone.localtime() + datetime.timedelta(days=1, hours=2)
    field = when.strftime("%Y-%m-%dT%H:%M")
    response = resident.post(act, {"step": "schedule", "scheduled_at": field}, follow=True)
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.business_status == "scheduled"
    assert item.scheduled_at == when.replace(second=0, microsecond=0)


def test_a_past_or_garbled_schedule_time_gets_a_clear_message_and_changes_nothing(personas, centre):
    import datetime

    from django.utils import timezone

    item = order(personas)
    act = reverse("diagnostics:order-act", kwargs={"id": item.external_id})
    resident = _client(centre.resident)
    past = (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    for value, message in (
        (past, "The time is in the past: schedule the exam for a time to come."),
        ("tomorrow-ish", "Enter a valid date/time."),
        ("", "Give a time."),
    ):
        response = resident.post(act, {"step": "schedule", "scheduled_at": value}, follow=True)
        assert response.status_code == 200 and message in response.content.decode()
    item.refresh_from_db()
    assert item.status == Status.REQUESTED and item.scheduled_at is None
