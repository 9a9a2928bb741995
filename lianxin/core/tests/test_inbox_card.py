"""The inbox card on the home page opens a notification where it points and marks it read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.core.models import Notification
from lianxin.core.notify import notify
from lianxin.testing.pages import home_card

pytestmark = pytest.mark.django_db


def test_a_notification_on_the_home_card_opens_and_is_read(personas):
    (note,) = notify([personas.doctor], verb="request", title="上转：张三", url="/patients/")
    client = personas.client("doctor")
    card = home_card(client, "inbox")
    assert str(note.external_id) in card and 'name="open"' in card
    response = client.post(reverse("inbox-read"), {"id": str(note.external_id), "open": "1"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_another_users_notification_cannot_be_opened(personas):
    (note,) = notify([personas.doctor], verb="request", title="上转：张三", url="/patients/")
    response = personas.client("colleague").post(
        reverse("inbox-read"), {"id": str(note.external_id), "open": "1"}
    )
    assert response.status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None
