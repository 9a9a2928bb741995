"""Critical results: raised by the centre, both institutions parties, notified at once to the
ordering doctor and the site's duty phones, acknowledged by read-back, escalated when not."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from lianxin.core.errors import NotAllowed
from lianxin.core.models import Notification
from lianxin.core.notify import ConsoleChannel
from lianxin.core.workflow import Status, escalate_overdue
from lianxin.diagnostics import actions
from lianxin.diagnostics.models import CriticalResult, ExamOrder
from lianxin.diagnostics.queries import critical_register
from lianxin.diagnostics.rules import critical_limit, is_critical
from lianxin.diagnostics.tests.helpers import claimed, reported

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_outbound():
    ConsoleChannel.sent.clear()
    yield
    ConsoleChannel.sent.clear()


def test_the_limits_depend_on_age_and_sex():
    from decimal import Decimal

    assert is_critical("K", Decimal("6.8"), 60, "1")
    assert not is_critical("K", Decimal("4.0"), 60, "1")
    assert critical_limit("HGB", 0, "1").low == Decimal("95")
    assert critical_limit("HGB", 30, "2").high == Decimal("180")
    assert critical_limit("HGB", 30, "1").high == Decimal("200")
    assert critical_limit("ALT", 30, "1") is None
    assert all(critical_limit(a, 30, "1").source for a in ("K", "NA", "WBC", "PLT"))


def _lab_critical(personas, centre, capture):
    with capture(execute=True):
        item = reported(personas, centre, "ELEC", values=[actions.Value("K", "6.8", "mmol/L")])
    return item, CriticalResult.objects.get(order=item)


def test_a_critical_value_raises_a_critical_result_when_signed(
    personas, centre, django_capture_on_commit_callbacks
):
    item, result = _lab_critical(personas, centre, django_capture_on_commit_callbacks)
    assert item.has_critical
    assert result.value == "6.8" and result.unit == "mmol/L" and result.analyte == "K"
    assert result.requester_institution == personas.township_a
    assert result.performer_institution == personas.county_a
    assert result.status == Status.REQUESTED and result.notified_at is not None
    # Both institutions are parties.
    assert CriticalResult.objects.visible_to(personas.doctor).filter(pk=result.pk).exists()
    assert CriticalResult.objects.visible_to(centre.attending).filter(pk=result.pk).exists()
    assert not CriticalResult.objects.visible_to(personas.outsider).exists()
    assert not CriticalResult.objects.visible_to(personas.commission).exists()


def test_the_ordering_doctor_and_the_duty_phones_are_told_at_once(
    personas, centre, django_capture_on_commit_callbacks
):
    _lab_critical(personas, centre, django_capture_on_commit_callbacks)
    note = Notification.objects.get(recipient=personas.doctor, verb="critical")
    assert note.urgent and "6.8" in note.title
    phones = [m.phone for m in ConsoleChannel.sent]
    assert "13800000001" in phones  # the site's duty phone list, by the outbound channel


def test_acknowledgement_needs_the_value_read_back(
    personas, centre, django_capture_on_commit_callbacks
):
    _item, result = _lab_critical(personas, centre, django_capture_on_commit_callbacks)
    for wrong in ("", "收到", "钾 16.8 mmol/L", "钾 6.8"):
        with pytest.raises(ValidationError) as exc:
            actions.do_acknowledge_critical_result(
                actor=personas.doctor, result=result, read_back=wrong
            )
        assert "read_back" in exc.value.message_dict
    result.refresh_from_db()
    assert result.status == Status.REQUESTED and result.acknowledged_at is None
    actions.do_acknowledge_critical_result(
        actor=personas.doctor, result=result, read_back="血钾 6.80 mmol/L", action_taken="补液"
    )
    result.refresh_from_db()
    assert result.status == Status.COMPLETED and result.acknowledged_by == personas.doctor
    assert result.read_back == "血钾 6.80 mmol/L"


def test_the_centre_cannot_acknowledge_its_own_critical_result(
    personas, centre, django_capture_on_commit_callbacks
):
    _item, result = _lab_critical(personas, centre, django_capture_on_commit_callbacks)
    with pytest.raises(NotAllowed):
        actions.do_acknowledge_critical_result(
            actor=centre.attending, result=result, read_back="6.8 mmol/L"
        )


def test_a_reader_flags_a_critical_imaging_finding_while_reading(personas, centre):
    item = claimed(personas, centre, "CT-HEAD")
    result = actions.do_raise_critical_result(
        actor=centre.resident, order=item, finding="急性脑出血"
    )
    assert ExamOrder.objects.get(pk=item.pk).has_critical
    with pytest.raises(ValidationError):
        actions.do_acknowledge_critical_result(
            actor=personas.doctor, result=result, read_back="收到"
        )
    actions.do_acknowledge_critical_result(
        actor=personas.doctor, result=result, read_back="急性脑出血，已收到"
    )
    assert result.status == Status.COMPLETED


def test_the_site_cannot_raise_a_critical_result(personas, centre):
    item = claimed(personas, centre)
    with pytest.raises(NotAllowed):
        actions.do_raise_critical_result(actor=personas.doctor, order=item, finding="气胸")
    assert not CriticalResult.objects.exists()


def test_unacknowledged_it_escalates_to_the_head_then_the_duty_officer(
    personas, centre, django_capture_on_commit_callbacks
):
    _item, result = _lab_critical(personas, centre, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert result.due_at <= now + datetime.timedelta(minutes=10, seconds=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue(now + datetime.timedelta(minutes=11)) >= 1
    assert Notification.objects.filter(recipient=centre.head, verb="overdue").exists()
    assert not Notification.objects.filter(recipient=centre.duty, verb="overdue").exists()
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue(now + datetime.timedelta(minutes=22))
    assert Notification.objects.filter(recipient=centre.duty, verb="overdue").exists()
    result.refresh_from_db()
    assert result.escalation_level == 2
    # No third level: the duty officer is the end of the line.
    escalate_overdue(now + datetime.timedelta(minutes=60))
    result.refresh_from_db()
    assert result.escalation_level == 2
    steps = list(result.history.values_list("name", flat=True))
    assert steps == ["create", "escalate", "escalate"]


@override_settings(LIANXIN_CRITICAL_ESCALATE_MINUTES=5)
def test_the_escalation_time_is_configurable(personas, centre):
    item = claimed(personas, centre)
    result = actions.do_raise_critical_result(actor=centre.resident, order=item, finding="气胸")
    assert result.due_at - result.created_at < datetime.timedelta(minutes=6)


def test_the_register_shows_times_to_notification_and_acknowledgement(personas, centre):
    item = claimed(personas, centre)
    found = timezone.now() - datetime.timedelta(minutes=3)
    result = actions.do_raise_critical_result(
        actor=centre.resident, order=item, finding="张力性气胸", found_at=found
    )
    actions.do_acknowledge_critical_result(
        actor=personas.doctor, result=result, read_back="张力性气胸"
    )
    row = critical_register(CriticalResult.objects.all()).get()
    assert datetime.timedelta(minutes=2) < row.to_notify < datetime.timedelta(minutes=4)
    assert row.to_acknowledge >= row.to_notify


def test_a_replayed_critical_result_reaches_inboxes_but_texts_nobody(
    personas, centre, django_capture_on_commit_callbacks
):
    from lianxin.core.notify import outbound_suppressed

    with outbound_suppressed():
        _lab_critical(personas, centre, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(recipient=personas.doctor, verb="critical").exists()
    assert ConsoleChannel.sent == []
