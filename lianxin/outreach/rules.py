"""Rules of outreach and capability building, as data with their sources.

The stationing indicator's counting rule is written out here once, so that the dashboard, the
export and the tests read the same definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# Sources, named once. What was and was not confirmed is in docs/outreach.md ("The indicator's
# wording and source"): the notices' titles and numbers were found, their indicator tables not.
COMMUNITY_MONITORING_2020 = (
    "国家卫生健康委办公厅《关于印发紧密型县域医疗卫生共同体建设评判标准和监测指标体系（试行）"
    "的通知》（国卫办基层发〔2020〕12号）"
)
ALLIANCE_ASSESSMENT_2018 = (
    "国家卫生健康委、国家中医药局《关于印发医疗联合体综合绩效考核工作方案（试行）的通知》"
    "（国卫医发〔2018〕26号）"
)
# The wording of the indicator as found, in a published question-and-answer on a later
# 14-indicator monitoring system for tight county communities (group 同质化); the notice that
# issued that system, and its number, were not found.
STATIONED_SENIORS_WORDING = (
    "二级及以上医疗卫生机构中级及以上医师到基层医疗卫生机构派驻人数（人）/每万常住人口"
)


class PostingKind(models.TextChoices):
    """How a practitioner is sent (DESIGN §7: 专家下沉 · 派驻 · 驻点 · 巡诊)."""

    STATIONING = "stationing", _("Long-term stationing (驻点)")
    SHORT_TERM = "short_term", _("Short-term support")
    ITINERANT = "itinerant", _("Itinerant clinic (巡诊)")
    MANAGEMENT = "management", _("Management staff")


class ManagementArea(models.TextChoices):
    INFECTION_CONTROL = "infection_control", _("Infection control")
    NURSING = "nursing", _("Nursing management")
    QUALITY = "quality", _("Quality control")
    INSURANCE = "insurance", _("Medical insurance")


class ActivityKind(models.TextChoices):
    """What a posted practitioner records against the posting."""

    CLINIC = "clinic", _("Clinic held")
    OPERATION = "operation", _("Operation performed")
    OPERATION_ASSISTED = "operation_assisted", _("Operation assisted")
    TEACHING = "teaching", _("Teaching session")
    WARD_ROUND = "ward_round", _("Ward round")
    CONSULTATION = "consultation", _("Consultation")


class SpecialtyStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    BUILDING = "building", _("Being built")
    ACHIEVED = "achieved", _("Goals achieved")
    SUSPENDED = "suspended", _("Suspended")


class AssessmentResult(models.TextChoices):
    PENDING = "pending", _("Not assessed yet")
    EXCELLENT = "excellent", _("Excellent")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


# 驻点 means at least six months at the host. Counted in calendar months from the first day:
# a posting from 1 March ends no earlier than 31 August (``add_months(start, 6) - 1 day``).
STATIONING_MIN_MONTHS = 6
# Longest posting accepted in one row; a longer stay is entered as a renewal.
MAX_POSTING_DAYS = 3 * 366
# How far back an activity, placement or session may be entered (late paperwork, not history).
MAX_BACKDATE_DAYS = 2 * 366


@dataclass(frozen=True)
class IndicatorRule:
    code: str
    name: str
    definition: str
    numerator: str
    denominator: str
    source: str


STATIONED_SENIORS_PER_10K = IndicatorRule(
    code="stationed_seniors_per_10k",
    name=STATIONED_SENIORS_WORDING,
    definition=(
        "Attending-or-above physicians from secondary-or-higher institutions stationed at primary "
        "institutions, per 10,000 residents, for one calendar year."
    ),
    numerator=(
        "Postings not cancelled, of kind 驻点 (long-term stationing; itinerant clinics, "
        "short-term support and management staff are excluded), lasting at least 6 months "
        "(STATIONING_MIN_MONTHS), whose period overlaps the year, of a practitioner whose "
        "profession is physician and whose title is attending or above (workforce "
        "ATTENDING_OR_ABOVE, 中级及以上), sent by a secondary-or-higher institution "
        "(network SECONDARY_OR_HIGHER_TIERS) to a primary institution (network PRIMARY_TIERS). "
        "Each posting counts once in each year it overlaps, however many days; a practitioner "
        "with two such postings in a year counts twice (person-times, 人次). The published "
        "wording counts persons (派驻人数（人）), so the figures also give the physicians, each "
        "once a year (physicians, physicians_per_10k)."
    ),
    denominator=(
        "Residents: registered patients whose residence division code (Patient.division_code) "
        "falls within the division of the community (or of the host institutions when no "
        "community is chosen). Lianxin keeps no census figure; the registry's residents stand "
        "in for the 常住人口 of the official indicator."
    ),
    source=(
        f"指标名称据公开的紧密型县域医共体监测指标体系解读（14项指标，“同质化”组），其印发文件及"
        f"文号未能核实。相关文件：{COMMUNITY_MONITORING_2020}（监测指标体系4个方面26条指标，"
        f"未能核实其中是否含本指标及其口径）；{ALLIANCE_ASSESSMENT_2018}（未核实）。"
    ),
)
