"""The exams card on the home page: studies waiting for the reader's centre, critical results
waiting for the ordering site."""

from __future__ import annotations

import pytest

from lianxin.diagnostics import actions
from lianxin.diagnostics.tests.helpers import performed, reported
from lianxin.testing.pages import home_card

pytestmark = pytest.mark.django_db


def _card(client) -> str:
    return home_card(client, "exams")


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_reader_sees_the_studies_waiting_and_those_claimed(personas, centre):
    performed(personas, centre)
    item = performed(personas, centre)
    actions.do_claim_study(actor=centre.attending, order=item)
    card = _card(_client(centre.attending))
    assert "1 study waiting for a reader" in card
    assert "1 study claimed by me" in card
    # The ordering site does not read: no worklist line, but its critical-results line.
    site = _card(personas.client("doctor"))
    assert "waiting for a reader" not in site and "0 critical results to acknowledge" in site


def test_a_critical_result_waits_on_the_ordering_sites_card(
    personas, centre, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reported(personas, centre, "ELEC", values=[actions.Value("K", "6.8", "mmol/L")])
    assert "1 critical result to acknowledge" in _card(personas.client("doctor"))
    assert "1 raised by us, not yet acknowledged" in _card(_client(centre.attending))
    assert "0 critical results to acknowledge" in _card(personas.client("outsider"))
    assert _card(personas.client("commission")) == ""
