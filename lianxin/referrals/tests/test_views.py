"""The referral pages: a whole up-referral through the web UI, worklists, and who sees what."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lianxin.core.workflow import Status
from lianxin.referrals.actions import do_create_referral, do_publish_slots
from lianxin.referrals.models import Referral

pytestmark = pytest.mark.django_db


def _new(personas, cardiology, **extra):
    fields = {
        "actor": personas.doctor,
        "patient": personas.patient,
        "direction": "up",
        "performer_institution": personas.county_a,
        "performer_department": cardiology,
        "reason": "胸痛",
        "diagnosis_text": "胸痛待查",
    }
    fields.update(extra)
    return do_create_referral(**fields)


def test_a_doctor_sends_a_referral_from_the_patient_page(personas, cardiology):
    client = personas.client("doctor")
    page = client.get(reverse("patients:detail", kwargs={"id": personas.patient.external_id}))
    create_url = reverse("referrals:create") + f"?patient={personas.patient.external_id}"
    assert create_url.replace("&", "&amp;") in page.content.decode() or "referrals/new/" in (
        page.content.decode()
    )
    form = client.get(create_url)
    assert form.status_code == 200
    response = client.post(
        create_url,
        {
            "direction": "up",
            "requester_institution": personas.township_a.external_id,
            "performer_institution": personas.county_a.external_id,
            "performer_department": cardiology.external_id,
            "urgency": "urgent",
            "diagnosis_code": "I20.0",
            "diagnosis_text": "不稳定型心绞痛",
            "reason": "需冠脉评估",
            "attachments": SimpleUploadedFile("ecg.pdf", b"%PDF-1.4 test", "application/pdf"),
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", kwargs={"id": referral.external_id})
    assert referral.urgency == "urgent" and referral.attachments.count() == 1
    # The receiving specialist finds it in the incoming worklist and downloads the attachment.
    specialist = personas.client("specialist")
    incoming = specialist.get(reverse("referrals:incoming"))
    assert personas.patient.name in incoming.content.decode()
    attachment = referral.attachments.get()
    download = specialist.get(
        reverse(
            "referrals:attachment",
            kwargs={"id": referral.external_id, "attachment_id": attachment.external_id},
        )
    )
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_form_shows_the_actions_errors_on_the_fields(personas, cardiology):
    client = personas.client("doctor")
    url = reverse("referrals:create") + f"?patient={personas.patient.external_id}"
    response = client.post(
        url,
        {
            "direction": "down",
            "requester_institution": personas.township_a.external_id,
            "performer_institution": personas.county_a.external_id,
            "urgency": "routine",
            "diagnosis_code": "not a code",
            "diagnosis_text": "x",
            "reason": "x",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "diagnosis_code" in errors
    assert not Referral.objects.exists()


def test_accepting_with_a_slot_and_closing_the_loop_through_the_page(
    personas, cardiology, head, tomorrow_9
):
    slot = do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=30, count=2
    )[0]
    referral = _new(personas, cardiology)
    client = personas.client("specialist")

    def act(step):
        return reverse(f"referrals:{step}", kwargs={"id": referral.external_id})

    detail = client.get(reverse("referrals:detail", kwargs={"id": referral.external_id}))
    assert str(slot.external_id) in detail.content.decode()
    client.post(act("accept"), {"slot": slot.external_id, "version": referral.version})
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED and referral.slot == slot
    client.post(act("arrive"), {})
    client.post(act("complete"), {"outcome_summary": "PCI 术后好转出院"})
    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED
    # The referring doctor opens it: the outcome is marked as seen.
    personas.client("doctor").get(reverse("referrals:detail", kwargs={"id": referral.external_id}))
    referral.refresh_from_db()
    assert referral.outcome_seen_at is not None


def test_a_stale_version_is_reported_not_applied(personas, cardiology):
    referral = _new(personas, cardiology)
    client = personas.client("specialist")

    def act(step):
        return reverse(f"referrals:{step}", kwargs={"id": referral.external_id})

    response = client.post(act("accept"), {"version": referral.version + 5}, follow=True)
    assert "changed" in response.content.decode() or "重" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Status.REQUESTED


def test_a_rejection_without_reason_changes_nothing(personas, cardiology):
    referral = _new(personas, cardiology)
    client = personas.client("specialist")

    def act(step):
        return reverse(f"referrals:{step}", kwargs={"id": referral.external_id})

    client.post(act("reject"), {"reason": ""})
    referral.refresh_from_db()
    assert referral.status == Status.REQUESTED


def test_an_unknown_step_is_a_404(personas, cardiology):
    referral = _new(personas, cardiology)

    def act(step):
        return reverse(f"referrals:{step}", kwargs={"id": referral.external_id})

    detail = reverse("referrals:detail", kwargs={"id": referral.external_id})
    assert personas.client("specialist").post(f"{detail}explode/", {}).status_code == 404


@pytest.mark.parametrize("who", ["outsider", "commission"])
def test_other_communities_and_the_commission_get_404(personas, cardiology, who):
    referral = _new(personas, cardiology)
    client = personas.client(who)
    assert (
        client.get(reverse("referrals:detail", kwargs={"id": referral.external_id})).status_code
        == 404
    )

    def act(step):
        return reverse(f"referrals:{step}", kwargs={"id": referral.external_id})

    assert client.post(act("receive"), {}).status_code == 404


def test_the_commission_has_no_worklist(personas):
    assert personas.client("commission").get(reverse("referrals:incoming")).status_code == 403


def test_the_worklist_filters_and_flags_overdue(personas, cardiology, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _new(personas, cardiology, urgency="emergency")
    _new(personas, cardiology)
    time_machine.shift(datetime.timedelta(hours=2))
    client = personas.client("specialist")
    page = client.get(reverse("referrals:incoming"), {"overdue": "1"})
    rows = list(page.context["page"].object_list)
    assert [r.urgency for r in rows] == ["emergency"]
    assert "overdue" in page.content.decode()
    everything = client.get(reverse("referrals:incoming"))
    assert [r.urgency for r in everything.context["page"].object_list] == ["emergency", "routine"]
    sent = personas.client("doctor").get(reverse("referrals:sent"))
    assert len(sent.context["page"].object_list) == 2


def test_the_worklist_runs_a_constant_number_of_queries(
    personas, cardiology, django_assert_max_num_queries
):
    client = personas.client("specialist")
    _new(personas, cardiology)
    client.get(reverse("referrals:incoming"))
    with django_assert_max_num_queries(20) as first:
        client.get(reverse("referrals:incoming"))
    for _n in range(15):
        _new(personas, cardiology)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("referrals:incoming"))


def test_a_department_head_publishes_slots_on_the_page(personas, cardiology, head, tomorrow_9):
    from django.test import Client

    client = Client()
    client.force_login(head)
    response = client.post(
        reverse("referrals:slots"),
        {
            "department": cardiology.external_id,
            "starts_at": tomorrow_9.strftime("%Y-%m-%dT%H:%M"),
            "minutes": 20,
            "count": 3,
        },
    )
    assert response.status_code == 302
    assert cardiology.slots.count() == 3
    # A clinician sees them but cannot publish.
    assert personas.client("specialist").get(reverse("referrals:slots")).status_code == 200
    refused = personas.client("doctor").post(
        reverse("referrals:slots"),
        {
            "department": cardiology.external_id,
            "starts_at": "2030-01-01T09:00",
            "minutes": 20,
            "count": 1,
        },
    )
    assert refused.status_code == 403


def test_choosing_the_receiving_institution_loads_only_its_departments(personas, cardiology):
    response = personas.client("doctor").get(
        reverse("referrals:receiver-fields"),
        {"performer_institution": personas.county_a.external_id},
        HTTP_HX_REQUEST="true",
    )
    choices = list(response.context["form"].offered["performer_department"])
    assert choices == [cardiology]
    nothing = personas.client("doctor").get(
        reverse("referrals:receiver-fields"), {"performer_institution": "junk"}
    )
    assert list(nothing.context["form"].offered["performer_department"]) == []
    other = personas.client("doctor").get(
        reverse("referrals:receiver-fields"),
        {"performer_institution": personas.county_b.external_id},
    )
    assert list(other.context["form"].offered["performer_department"]) == []


def test_the_sent_box_narrows_to_what_i_sent(personas, cardiology):
    _new(personas, cardiology)
    _new(personas, cardiology, actor=personas.colleague)
    client = personas.client("doctor")
    everything = client.get(reverse("referrals:sent"))
    assert len(everything.context["page"].object_list) == 2
    mine = client.get(reverse("referrals:sent"), {"mine": "1"})
    assert [r.requester for r in mine.context["page"].object_list] == [personas.doctor]
