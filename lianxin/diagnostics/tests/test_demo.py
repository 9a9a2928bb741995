"""The demo year of exams: the four centre types, critical results, recognitions, work waiting
for the demo accounts, and consistency with what the actions would have written."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count

from lianxin.core.workflow import Status
from lianxin.demo.build import build_county
from lianxin.demo.context import DemoOptions
from lianxin.diagnostics.models import (
    CriticalResult,
    ExamOrder,
    Recognition,
    Report,
    ResultValue,
)
from lianxin.diagnostics.rules import ANALYTES

pytestmark = pytest.mark.django_db

OPTIONS = DemoOptions(residents=2000, villages=22, seed=7, today=datetime.date(2026, 6, 1))


@pytest.fixture
def county():
    return build_county(OPTIONS)


def test_the_demo_holds_a_year_of_exams_across_the_four_centre_types(county):
    types = dict(ExamOrder.objects.values_list("centre_type").annotate(n=Count("id")))
    assert set(types) == {"imaging", "ecg", "laboratory", "pathology"}
    assert ExamOrder.objects.count() >= 700
    assert CriticalResult.objects.exists()
    assert Recognition.objects.filter(decision="recognised").exists()
    accessions = ExamOrder.objects.values_list("accession_number", flat=True)
    assert len(set(accessions)) == len(accessions)


def test_demo_rows_agree_with_what_the_actions_write(county):
    for order in ExamOrder.objects.filter(status=Status.COMPLETED)[:200]:
        names = list(order.transitions.order_by("at", "id").values_list("name", flat=True))
        assert names[0] == "create" and names[-1] == "report"
        assert order.signed_at and order.performed_at <= order.signed_at
        assert order.transitions.order_by("-version").first().version == order.version
    assert not ExamOrder.objects.filter(status=Status.COMPLETED, due_at__isnull=False).exists()
    for value in ResultValue.objects.all()[:300]:
        assert value.unit == ANALYTES[value.analyte].unit
    assert not Report.objects.filter(status="signed", signed_by__isnull=True).exists()


def test_the_demo_accounts_find_work_waiting(county):
    imaging = county.accounts["imaging"][0]
    waiting = ExamOrder.objects.visible_to(imaging).filter(status__in=["requested", "in-progress"])
    assert waiting.exists()
