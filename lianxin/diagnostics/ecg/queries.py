"""The ECG centre's figures: village coverage (心电设备村级覆盖率)."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.utils import timezone

from lianxin.diagnostics.ecg.models import EcgRecording
from lianxin.diagnostics.ecg.rules import SOURCE_VILLAGE_COVERAGE, VILLAGE_COVERAGE_DAYS
from lianxin.network.models import Institution, Tier


@dataclass(frozen=True)
class Coverage:
    covered: int
    villages: int
    source: str = SOURCE_VILLAGE_COVERAGE

    @property
    def rate(self) -> float | None:
        return self.covered / self.villages if self.villages else None


def village_coverage(
    institution_ids: Collection[int] | None = None, now: datetime.datetime | None = None
) -> Coverage:
    """Village clinics (of ``institution_ids``, or all) whose ECG reached Lianxin in the last
    30 days, over all active village clinics."""
    now = now or timezone.now()
    villages = Institution.objects.filter(tier=Tier.VILLAGE, is_active=True)
    if institution_ids is not None:
        villages = villages.filter(pk__in=institution_ids)
    covered = (
        EcgRecording.objects.filter(
            site__in=villages, recorded_at__gte=now - datetime.timedelta(days=VILLAGE_COVERAGE_DAYS)
        )
        .values("site_id")
        .distinct()
        .count()
    )
    return Coverage(covered=covered, villages=villages.count())
