"""The same seed builds the same referrals (test_demo.py reads one county built once for the
module; this test builds its own, twice)."""

from __future__ import annotations

import pytest
from django.db import transaction

from lianxin.demo.build import build_county
from lianxin.referrals.models import Referral
from lianxin.referrals.tests.test_demo import SMALL

pytestmark = pytest.mark.django_db


def test_the_same_seed_builds_the_same_referrals():
    def rows():
        return list(
            Referral.objects.order_by("created_at", "external_id").values_list(
                "external_id", "status", "created_at", "diagnosis_code", "due_at"
            )
        )

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        build_county(SMALL)
        first = rows()
        raise Rollback
    build_county(SMALL)
    assert rows() == first
