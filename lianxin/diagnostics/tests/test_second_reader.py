"""A centre can require a second reader (审核): the writer of a report does not sign it alone,
unless they record why — and administrators edit these rules and the recognition rules on a
page, each change audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianxin.core.errors import NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.diagnostics import actions
from lianxin.diagnostics.actions.rules import do_set_second_read_rule
from lianxin.diagnostics.models import ExamItem, RecognitionRule, SecondReadRule
from lianxin.diagnostics.tests.helpers import claimed
from lianxin.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_admin(personas):
    """The county community's network administrator (at the lead hospital)."""
    user = UserFactory(username="network_admin")
    MembershipFactory(user=user, institution=personas.county_a, role="network_admin")
    return user


def _written_by_attending(personas, centre, code="CT-CHEST"):
    item = claimed(personas, centre, code, reader=centre.attending)
    actions.do_draft_report(
        actor=centre.attending,
        order=item,
        findings={"findings": "双肺纹理清晰"},
        impression="未见异常",
    )
    return item


def test_without_a_rule_the_writer_may_sign_their_own_report(personas, centre):
    item = _written_by_attending(personas, centre)
    report = actions.do_sign_report(actor=centre.attending, order=item)
    assert report.signed_by == centre.attending and report.single_reader_reason == ""


def test_a_centre_rule_makes_the_writer_give_a_reason_to_sign_alone(personas, centre):
    SecondReadRule.objects.create(centre=centre.imaging, exam=None, source="科室质控制度")
    item = _written_by_attending(personas, centre)

    with pytest.raises(ValidationError) as refused:
        actions.do_sign_report(actor=centre.attending, order=item)
    assert "single_reader_reason" in refused.value.message_dict

    report = actions.do_sign_report(
        actor=centre.attending, order=item, single_reader_reason="夜班仅一名医师"
    )
    assert report.single_reader_reason == "夜班仅一名医师"
    event = AuditEvent.objects.filter(action="diagnostics.report.sign").last()
    assert event.after["second_reader"] is False
    assert event.after["single_reader_reason"] == "夜班仅一名医师"


def test_a_second_reader_signs_without_a_reason(personas, centre):
    SecondReadRule.objects.create(centre=centre.imaging, exam=None)
    item = _written_by_attending(personas, centre)
    report = actions.do_sign_report(actor=centre.second, order=item)
    assert report.signed_by == centre.second and report.author == centre.attending
    assert AuditEvent.objects.filter(action="diagnostics.report.sign").last().after["second_reader"]


def test_an_item_rule_overrides_the_centre_rule(personas, centre):
    SecondReadRule.objects.create(centre=centre.imaging, exam=None)
    SecondReadRule.objects.create(
        centre=centre.imaging,
        exam=ExamItem.objects.get(code="CT-CHEST"),
        requires_second_reader=False,
    )
    item = _written_by_attending(personas, centre)
    assert not actions.requires_second_reader(item)
    actions.do_sign_report(actor=centre.attending, order=item)


def test_only_an_administrator_sets_the_rule_and_the_change_is_audited(
    personas, centre, network_admin
):
    with pytest.raises(NotAllowed):
        do_set_second_read_rule(
            actor=centre.attending, centre=centre.imaging, exam=None, requires_second_reader=True
        )
    with pytest.raises(NotAllowed):  # an administrator of another institution
        do_set_second_read_rule(
            actor=personas.admin, centre=centre.imaging, exam=None, requires_second_reader=True
        )
    do_set_second_read_rule(
        actor=network_admin, centre=centre.imaging, exam=None, requires_second_reader=True
    )
    event = AuditEvent.objects.get(action="diagnostics.second_read_rule.set")
    assert event.actor == network_admin and event.after["requires_second_reader"] is True


def test_the_rules_page_edits_a_recognition_rule_through_the_audited_action(
    personas, centre, network_admin, client
):
    rule = RecognitionRule.objects.select_related("exam").get(exam__code="CT-CHEST")
    client.force_login(network_admin)
    page = client.get(reverse("diagnostics:rules"))
    assert page.status_code == 200 and rule.exam.name in page.content.decode()

    response = client.post(
        reverse("diagnostics:recognition-rule-edit", kwargs={"code": "CT-CHEST"}),
        {
            "validity_days": 20,
            "scope": rule.scope,
            "requires_qc": "on",
            "conditions": rule.conditions,
            "source": rule.source,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.validity_days == 20
    event = AuditEvent.objects.get(action="diagnostics.recognition_rule.update")
    assert event.after == {"validity_days": 20} and event.actor == network_admin

    assert personas.client("doctor").get(reverse("diagnostics:rules")).status_code == 403
    refused = personas.client("doctor").post(
        reverse("diagnostics:recognition-rule-edit", kwargs={"code": "CT-CHEST"}),
        {"validity_days": 1, "scope": rule.scope, "source": "x"},
    )
    assert refused.status_code == 302
    rule.refresh_from_db()
    assert rule.validity_days == 20
