"""Every time a user sees or picks is in the configured time zone (Asia/Shanghai), never UTC:
the reserved-slot choice on the accept form, the booked slot, and every form's datetime field."""

from __future__ import annotations

import datetime
import importlib
import pkgutil
import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

import lianxin
from lianxin.referrals.actions import do_accept_referral, do_create_referral, do_publish_slots

pytestmark = pytest.mark.django_db

# 08:30 in Shanghai is 00:30 UTC: an option rendered in UTC would read "00:30" (and a slot at
# local midnight the day before).
LOCAL_TIME = datetime.time(8, 30)


def _slot_moment() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=2)
    return timezone.make_aware(datetime.datetime.combine(day, LOCAL_TIME))


def test_the_accept_form_offers_slots_in_local_time_and_the_booking_shows_the_same(
    personas, cardiology, head
):
    moment = _slot_moment()
    (slot,) = do_publish_slots(
        actor=head, department=cardiology, starts_at=moment, minutes=20, count=1
    )
    referral = do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=cardiology,
        reason="胸痛反复发作",
        diagnosis_code="I20.0",
        diagnosis_text="不稳定型心绞痛",
    )
    client = personas.client("specialist")
    local = f"{moment:%Y-%m-%d} 08:30"
    utc = f"{moment.astimezone(datetime.UTC):%Y-%m-%d %H:%M}"

    page = client.get(reverse("referrals:detail", kwargs={"id": referral.external_id}))
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page.content.decode())
    (offered,) = [t for t in options if cardiology.name in t and re.search(r"\d\d:\d\d", t)]
    assert local in offered and utc not in offered

    do_accept_referral(actor=personas.specialist, referral=referral, slot=slot)
    booked = client.get(reverse("referrals:detail", kwargs={"id": referral.external_id}))
    assert local in booked.content.decode()
    slot.refresh_from_db()
    assert timezone.localtime(slot.starts_at).time() == LOCAL_TIME


def _form_modules():
    for info in pkgutil.walk_packages(lianxin.__path__, "lianxin."):
        if info.name.rsplit(".", 1)[-1] in {"forms", "inputs"} and ".tests" not in info.name:
            yield importlib.import_module(info.name)


def _datetime_fields():
    seen = set()
    for module in _form_modules():
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, forms.BaseForm)):
                continue
            for name, field in value.base_fields.items():
                if isinstance(field, forms.DateTimeField) and (value, name) not in seen:
                    seen.add((value, name))
                    yield f"{value.__module__}.{value.__name__}.{name}", field


def test_every_forms_datetime_field_shows_a_stored_moment_in_local_time():
    stored = datetime.datetime(2026, 12, 3, 16, 30, tzinfo=datetime.UTC)  # 00:30 on the 4th
    fields = list(_datetime_fields())
    assert len(fields) >= 5  # the referral, slot, consultation and milestone forms at least
    for where, field in fields:
        html = field.widget.render("at", field.prepare_value(stored))
        assert "2026-12-04" in html and "00:30" in html, where
        # And what the user types back in is read in the same zone: the same stored moment.
        typed = re.search(r'value="([^"]+)"', html).group(1)
        assert field.clean(typed) == stored, where
