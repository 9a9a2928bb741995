"""The yearly figures count exams a member took and a shared centre elsewhere read."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianxin.diagnostics.actions import do_order_exam
from lianxin.diagnostics.catalogue import sync_catalogue
from lianxin.diagnostics.models import ExamItem, ServiceAgreement
from lianxin.outreach.queries import figures
from lianxin.testing.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_exams_read_by_the_county_centre_count_as_remote_reads_of_the_site(personas):
    if not ExamItem.objects.exists():
        sync_catalogue()
    imaging = DepartmentFactory(
        institution=personas.county_a,
        name="医共体影像中心",
        code="YXZX",
        kind="shared_centre",
        centre_type="imaging",
    )
    ServiceAgreement.objects.create(
        site=personas.township_a,
        centre=imaging,
        centre_type="imaging",
        starts_on=datetime.date(2020, 1, 1),
    )
    exam = ExamItem.objects.filter(centre_type="imaging", is_active=True).first()
    do_order_exam(actor=personas.doctor, patient=personas.patient, exam=exam)
    year = timezone.localdate().year
    result = figures(
        year, {personas.township_a.pk, personas.county_a.pk}, resident_prefixes=["350426"]
    )
    assert result.totals["remote_reads"] == 1
    row = next(r for r in result.by_member if r["institution"] == personas.township_a)
    assert row["remote_reads"] == 1
