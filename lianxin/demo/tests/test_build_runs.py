"""Building the county twice, and with a step of another app: tests that build their own county
(test_build.py reads one county built once for the module)."""

from __future__ import annotations

import pytest
from django.db import transaction

from lianxin.demo import registry
from lianxin.demo.accounts import DEMO_ACCOUNTS
from lianxin.demo.build import build_county
from lianxin.demo.context import DemoOptions
from lianxin.demo.tests.test_build import SMALL, TODAY
from lianxin.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_same_seed_builds_the_same_county():
    def residents():
        return list(Patient.objects.order_by("id").values_list("name", "id_number", "address"))

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        build_county(SMALL)
        first = residents()
        raise Rollback
    build_county(SMALL)
    assert residents() == first


def test_a_step_registered_by_another_app_runs_after_the_core_steps():
    seen = {}

    def extra(county):
        seen["accounts"] = len(county.accounts)
        seen["residents"] = Patient.objects.count()

    registry.register_step("test-extra", extra, order=500)
    try:
        build_county(DemoOptions(residents=20, villages=11, today=TODAY))
    finally:
        registry._STEPS.pop("test-extra")
    assert seen == {"accounts": len(DEMO_ACCOUNTS), "residents": 20}
