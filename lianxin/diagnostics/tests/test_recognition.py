"""Result recognition: recognisable prior results by validity window, scope and QC; recognise
(no new exam, avoided cost) or decline with a national re-test reason; the figures."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.diagnostics import actions
from lianxin.diagnostics.models import ExamItem, ExamOrder, Recognition, RecognitionRule, Report
from lianxin.diagnostics.queries import recognisable_results, recognition_figures
from lianxin.diagnostics.tests.helpers import order, reported

pytestmark = pytest.mark.django_db


def _priors(personas, code="CT-CHEST", now=None):
    return list(
        recognisable_results(
            personas.patient, ExamItem.objects.get(code=code), personas.township_a, now=now
        )
    )


def test_a_signed_result_is_recognisable_within_its_validity_window(personas, centre):
    item = reported(personas, centre)
    report = item.reports.get()
    assert _priors(personas) == [report]
    later = timezone.now() + datetime.timedelta(days=31)
    assert _priors(personas, now=later) == []
    assert _priors(personas, "CT-HEAD") == []


def test_the_rule_table_decides_validity_and_qc(personas, centre):
    item = reported(personas, centre)
    RecognitionRule.objects.filter(exam__code="CT-CHEST").update(validity_days=60)
    assert _priors(personas, now=timezone.now() + datetime.timedelta(days=45))
    Report.objects.filter(order=item).update(qc_passed=False)
    assert _priors(personas) == []
    RecognitionRule.objects.filter(exam__code="CT-CHEST").update(requires_qc=False)
    assert len(_priors(personas)) == 1
    RecognitionRule.objects.filter(exam__code="CT-CHEST").update(is_active=False)
    assert _priors(personas) == []


def test_a_community_scope_rule_ignores_results_from_outside_the_community(personas, centre):
    item = reported(personas, centre, "ECG-12")
    assert len(_priors(personas, "ECG-12")) == 1
    ExamOrder.objects.filter(pk=item.pk).update(performer_institution=personas.county_b)
    assert _priors(personas, "ECG-12") == []


def test_only_the_latest_version_of_an_amended_report_is_offered(personas, centre):
    item = reported(personas, centre)
    amended = actions.do_amend_report(
        actor=centre.attending, order=item, reason="补充", impression="右肺小结节"
    )
    assert _priors(personas) == [amended]


def test_ordering_again_needs_a_retest_reason_when_a_result_is_recognisable(personas, centre):
    reported(personas, centre)
    with pytest.raises(ValidationError) as exc:
        order(personas, "CT-CHEST")
    assert "retest_reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        order(personas, "CT-CHEST", retest_reason="other")
    assert "retest_reason_text" in exc.value.message_dict
    assert ExamOrder.objects.count() == 1
    new = order(personas, "CT-CHEST", retest_reason="condition_changed")
    decision = Recognition.objects.get()
    assert decision.decision == "declined" and decision.new_order == new
    assert decision.reason == "condition_changed" and decision.avoided_cost == 0


def test_recognising_records_the_avoided_cost_and_orders_nothing(personas, centre):
    item = reported(personas, centre)
    decision = actions.do_recognise_result(
        actor=personas.doctor,
        patient=personas.patient,
        exam=item.exam,
        prior_report=item.reports.get(),
    )
    assert decision.avoided_cost == item.exam.price
    assert ExamOrder.objects.count() == 1


def test_an_expired_result_cannot_be_recognised(personas, centre):
    item = reported(personas, centre)
    ExamOrder.objects.filter(pk=item.pk).update(
        signed_at=timezone.now() - datetime.timedelta(days=40)
    )
    with pytest.raises(ValidationError):
        actions.do_recognise_result(
            actor=personas.doctor,
            patient=personas.patient,
            exam=item.exam,
            prior_report=item.reports.get(),
        )
    assert not Recognition.objects.exists()


def test_recognition_rate_and_money_saved_per_site_doctor_and_month(personas, centre):
    item = reported(personas, centre)
    report = item.reports.get()
    actions.do_recognise_result(
        actor=personas.doctor, patient=personas.patient, exam=item.exam, prior_report=report
    )
    order(personas, "CT-CHEST", retest_reason="emergency")
    (site,) = recognition_figures(Recognition.objects.all(), by="site")
    assert site["decisions"] == 2 and site["recognised"] == 1 and site["rate"] == 0.5
    assert site["saved"] == item.exam.price
    (doctor,) = recognition_figures(Recognition.objects.all(), by="doctor")
    assert doctor["name"].startswith("王医生")  # by name and title, not the user name
    (month,) = recognition_figures(Recognition.objects.all(), by="month")
    assert month["decisions"] == 2
