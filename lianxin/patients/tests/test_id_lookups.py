"""Registering with an ID number that is already in the index is a look-up: it never tells the
desk whose number it is, each one is audited, and one user's look-ups are throttled."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianxin.core.errors import Throttled
from lianxin.core.idnumber import make_id_number
from lianxin.core.models import AuditEvent
from lianxin.patients import actions
from lianxin.patients.actions import do_register_patient, id_lookups_in_window

pytestmark = pytest.mark.django_db

ID_NUMBER = make_id_number("350426", datetime.date(1960, 5, 17), 11)


def _register(personas, actor, name, institution=None):
    return do_register_patient(
        actor=actor,
        institution=institution or actor_institution(personas, actor),
        name=name,
        sex="",
        birth_date=None,
        id_number=ID_NUMBER,
    )


def actor_institution(personas, actor):
    return personas.township_a if actor == personas.doctor else personas.county_b


def test_a_wrong_name_is_refused_without_revealing_the_registered_surname(personas):
    _register(personas, personas.doctor, "周建国")

    with pytest.raises(ValidationError) as caught:
        _register(personas, personas.outsider, "王五")

    text = " ".join(caught.value.messages)
    assert "周" not in text and "*" not in text
    assert "different name" in text


def test_each_look_up_of_a_registered_number_is_audited_even_when_it_fails(personas):
    _register(personas, personas.doctor, "周建国")
    with pytest.raises(ValidationError):
        _register(personas, personas.outsider, "王五")

    rows = AuditEvent.objects.filter(action="patient.id_lookup", actor=personas.outsider)
    assert rows.count() == 1
    assert rows.get().after["name_matched"] is False
    assert rows.get().after["id_number"].startswith("350***")
    assert ID_NUMBER not in str(rows.get().after)
    assert id_lookups_in_window(personas.outsider) == 1
    assert id_lookups_in_window(personas.doctor) == 0  # registering a new number is no look-up


def test_a_user_over_the_quota_is_throttled_and_others_are_not(personas, monkeypatch):
    monkeypatch.setattr(actions, "ID_LOOKUP_LIMIT", 2)
    _register(personas, personas.doctor, "周建国")
    for _attempt in range(2):
        with pytest.raises(ValidationError):
            _register(personas, personas.outsider, "王五")

    with pytest.raises(Throttled):
        _register(personas, personas.outsider, "周建国")
    # The refused attempt did not look the number up, so it is not audited as one.
    assert id_lookups_in_window(personas.outsider) == 2
    # A colleague elsewhere is not affected by the outsider's quota.
    _register(personas, personas.doctor, "周建国")


def test_the_registration_page_answers_a_throttled_desk_with_a_message(
    client, personas, monkeypatch
):
    monkeypatch.setattr(actions, "ID_LOOKUP_LIMIT", 0)
    client.force_login(personas.doctor)
    response = client.post(
        reverse("patients:register"),
        {"institution": personas.township_a.external_id, "name": "周建国", "id_number": ID_NUMBER},
    )
    assert response.status_code == 200
    assert "looked up" in response.content.decode()
