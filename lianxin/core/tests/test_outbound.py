"""Urgent notifications go out by the outbound channels after commit, unless past events are
being replayed into inboxes."""

from __future__ import annotations

import pytest

from lianxin.core.models import Notification
from lianxin.core.notify import ConsoleChannel, notify, outbound_suppressed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear():
    ConsoleChannel.sent.clear()
    yield
    ConsoleChannel.sent.clear()


def test_an_urgent_message_goes_out_after_commit(personas, django_capture_on_commit_callbacks):
    personas.doctor.phone = "13800000009"
    personas.doctor.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify([personas.doctor], verb="critical", title="危急值：钾 6.8", urgent=True)
    assert [m.phone for m in ConsoleChannel.sent] == ["13800000009"]


def test_a_replayed_message_reaches_the_inbox_only(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), outbound_suppressed():
        notify([personas.doctor], verb="critical", title="危急值：钾 6.8", urgent=True)
    assert Notification.objects.filter(recipient=personas.doctor, urgent=True).count() == 1
    assert ConsoleChannel.sent == []
    # The suppression ends with its block.
    with django_capture_on_commit_callbacks(execute=True):
        notify([personas.colleague], verb="critical", title="危急值：钾 6.9", urgent=True)
    assert len(ConsoleChannel.sent) == 1
