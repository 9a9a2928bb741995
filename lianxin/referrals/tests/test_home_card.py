"""The referral card on the home page counts what waits for the user's institutions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.referrals.actions import do_create_referral
from lianxin.testing.factories import register_at
from lianxin.testing.pages import home_card

pytestmark = pytest.mark.django_db


def _refer_up(personas, cardiology):
    return do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        performer_department=cardiology,
        reason="胸痛反复发作，需冠脉评估",
        diagnosis_code="I20.0",
        diagnosis_text="不稳定型心绞痛",
    )


def _card(personas, name: str) -> str:
    return home_card(personas.client(name), "referrals")


def test_the_receiver_sees_a_referral_to_answer_and_the_sender_one_waiting(personas, cardiology):
    _refer_up(personas, cardiology)
    receiver = _card(personas, "specialist")
    assert "1 open referral to us" in receiver and "1 to answer" in receiver
    sender = _card(personas, "doctor")
    assert "1 open referral sent by us" in sender and "1 waiting for an answer" in sender
    assert "0 open referrals to us" in sender


def test_a_draft_is_counted_for_its_author_only(personas, cardiology):
    register_at(personas.patient, personas.county_a)
    do_create_referral(
        actor=personas.specialist,
        patient=personas.patient,
        direction="down",
        performer_institution=personas.township_a,
        reason="出院后继续管理",
        diagnosis_text="高血压",
        draft=True,
    )
    assert "1 proposed down-referral to send" in _card(personas, "specialist")
    assert "0 open referrals to us" in _card(personas, "doctor")


def test_other_institutions_see_nothing_and_the_commission_no_card(personas, cardiology):
    _refer_up(personas, cardiology)
    outsider = _card(personas, "outsider")
    assert "0 open referrals to us" in outsider and "0 open referrals sent by us" in outsider
    assert _card(personas, "commission") == ""


def test_the_home_page_with_its_cards_takes_a_bounded_number_of_queries(
    personas, cardiology, django_assert_max_num_queries
):
    _refer_up(personas, cardiology)
    client = personas.client("specialist")
    with django_assert_max_num_queries(20):
        client.get(reverse("home"))
