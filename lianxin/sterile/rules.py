"""Rules of the sterile-supply cycle, as data, each entry citing its source.

Sources (the three parts of the health-industry standard WS 310-2016, 医院消毒供应中心):

- WS 310.1-2016 第1部分：管理规范 (management: tracing, records, shared centres);
- WS 310.2-2016 第2部分：清洗消毒及灭菌技术操作规范 (the steps: collection 5.1, cleaning 5.3,
  disinfection 5.4, inspection 5.6, packing 5.7, sterilisation 5.8, storage 5.9, issue 5.10);
- WS 310.3-2016 第3部分：清洗消毒及灭菌效果监测标准 (monitoring: physical 4.4.2.1, chemical
  4.4.2.2, biological 4.4.2.3, Bowie-Dick 4.4.2.4, recall 4.4.1.4, implants 4.4.1.5).

Clause numbers are those of the 2016 texts as published; where a figure depends on a condition
(a textile pack's shelf life on the store meeting the environment standard) the condition is in the
entry. A centre that validates other parameters with its manufacturer (WS 310.3-2016 4.4.1.8)
changes the tables here, with the new source.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

WS310_1 = "WS 310.1-2016《医院消毒供应中心 第1部分：管理规范》"
WS310_2 = "WS 310.2-2016《医院消毒供应中心 第2部分：清洗消毒及灭菌技术操作规范》"
WS310_3 = "WS 310.3-2016《医院消毒供应中心 第3部分：清洗消毒及灭菌效果监测标准》"


# --- The cycle -------------------------------------------------------------------------------


class PackStatus(models.TextChoices):
    """Where a pack is in its cycle; each status is reached by one scanned step."""

    COLLECTED = "collected", _("Collected")
    WASHED = "washed", _("Cleaned and disinfected")
    PACKED = "packed", _("Inspected and packed")
    STERILISING = "sterilising", _("In a sterilisation load")
    STORED = "stored", _("In sterile store")
    ISSUED = "issued", _("Issued, in transit")
    RECEIVED = "received", _("At the branch")
    USED = "used", _("Used")
    QUARANTINED = "quarantined", _("Held by a recall")


class Step(models.TextChoices):
    """The scanned steps (WS 310.2-2016 §5, and use and return at the branch)."""

    COLLECT = "collect", _("Collection")
    WASH = "wash", _("Cleaning and disinfection")
    PACK = "pack", _("Inspection and packing")
    STERILISE = "sterilise", _("Sterilisation")
    STORE = "store", _("Storage")
    ISSUE = "issue", _("Issue")
    RECEIVE = "receive", _("Receipt at the branch")
    USE = "use", _("Use on a patient")
    RETURN = "return", _("Return of a recalled pack")


@dataclass(frozen=True)
class StepRule:
    """A step: the statuses it starts from, the status it leaves, who scans it, its source."""

    step: str
    from_statuses: frozenset[str]
    to_status: str
    side: str  # "centre" or "branch"
    source: str


S = PackStatus
STEP_RULES: dict[str, StepRule] = {
    r.step: r
    for r in (
        # A used pack, an unused one sent back (expired), a held one, or a new one registered.
        StepRule(
            Step.COLLECT,
            frozenset({S.USED, S.RECEIVED, S.QUARANTINED, S.STORED}),
            S.COLLECTED,
            "centre",
            f"{WS310_2} 5.1 回收",
        ),
        StepRule(
            Step.WASH,
            frozenset({S.COLLECTED}),
            S.WASHED,
            "centre",
            f"{WS310_2} 5.3 清洗、5.4 消毒",
        ),
        StepRule(
            Step.PACK,
            frozenset({S.WASHED}),
            S.PACKED,
            "centre",
            f"{WS310_2} 5.6 器械检查与保养、5.7 包装",
        ),
        StepRule(
            Step.STERILISE,
            frozenset({S.PACKED}),
            S.STERILISING,
            "centre",
            f"{WS310_2} 5.8 灭菌",
        ),
        StepRule(Step.STORE, frozenset({S.STERILISING}), S.STORED, "centre", f"{WS310_2} 5.9 储存"),
        StepRule(
            Step.ISSUE,
            frozenset({S.STORED}),
            S.ISSUED,
            "centre",
            f"{WS310_2} 5.10 无菌物品发放",
        ),
        StepRule(
            Step.RECEIVE,
            frozenset({S.ISSUED}),
            S.RECEIVED,
            "branch",
            f"{WS310_1} 4.1 质量追溯（发放与接收记录）",
        ),
        StepRule(
            Step.USE,
            frozenset({S.RECEIVED}),
            S.USED,
            "branch",
            f"{WS310_1} 4.1 质量追溯（使用与患者关联）",
        ),
        # A branch sends back a pack a recall asked for (unused), or an expired one.
        StepRule(
            Step.RETURN,
            frozenset({S.ISSUED, S.RECEIVED}),
            S.QUARANTINED,
            "branch",
            f"{WS310_3} 4.4.1.4 召回",
        ),
    )
}

# The steps a scan page exists for, in the order of the cycle.
SCAN_STEPS = (
    Step.COLLECT,
    Step.WASH,
    Step.PACK,
    Step.STERILISE,
    Step.STORE,
    Step.ISSUE,
    Step.RECEIVE,
    Step.USE,
    Step.RETURN,
)
# Steps that refuse an expired pack: it is neither issued nor used (WS 310.2-2016 5.10 发放时
# 应确认无菌物品的有效性).
REFUSE_EXPIRED = frozenset({Step.ISSUE, Step.RECEIVE, Step.USE})


# --- Packaging materials and shelf life ------------------------------------------------------


class Packaging(models.TextChoices):
    TEXTILE = "textile", _("Textile (cotton wrap)")
    PAPER_BAG = "paper_bag", _("Single-use medical paper bag")
    CREPE = "crepe", _("Single-use medical crepe paper")
    NONWOVEN = "nonwoven", _("Medical non-woven wrap")
    PAPER_PLASTIC = "paper_plastic", _("Single-use paper-plastic pouch")
    RIGID = "rigid", _("Rigid container")


@dataclass(frozen=True)
class ShelfLife:
    packaging: str
    days: int
    condition: str
    source: str


# WS 310.2-2016 5.9 储存: the shelf life of a sterile pack by its packaging. Textile packs keep 14
# days when the sterile store meets the temperature (< 24 ℃) and humidity (< 70 %) of WS 310.1;
# otherwise 7 days. The centre's store is taken to meet it (``TEXTILE_STORE_MEETS_STANDARD``).
SHELF_LIVES: dict[str, ShelfLife] = {
    s.packaging: s
    for s in (
        ShelfLife(Packaging.TEXTILE, 14, "存放区温度<24℃、湿度<70%（WS 310.1）", f"{WS310_2} 5.9"),
        ShelfLife(Packaging.PAPER_BAG, 30, "", f"{WS310_2} 5.9"),
        ShelfLife(Packaging.CREPE, 180, "", f"{WS310_2} 5.9"),
        ShelfLife(Packaging.NONWOVEN, 180, "", f"{WS310_2} 5.9"),
        ShelfLife(Packaging.PAPER_PLASTIC, 180, "", f"{WS310_2} 5.9"),
        ShelfLife(Packaging.RIGID, 180, "", f"{WS310_2} 5.9"),
    )
}
TEXTILE_STORE_MEETS_STANDARD = True
TEXTILE_DAYS_BELOW_STANDARD = 7


def shelf_life_days(packaging: str, *, store_meets_standard: bool = True) -> int:
    """Days a pack in ``packaging`` stays sterile on the shelf."""
    if packaging == Packaging.TEXTILE and not store_meets_standard:
        return TEXTILE_DAYS_BELOW_STANDARD
    return SHELF_LIVES[packaging].days


# --- Machines, programs and their parameters -------------------------------------------------


class MachineKind(models.TextChoices):
    WASHER = "washer", _("Washer-disinfector")
    STERILISER = "steriliser", _("Steriliser")


class Method(models.TextChoices):
    """Sterilisation methods (WS 310.2-2016 5.8, WS 310.3-2016 4.4.2–4.4.5)."""

    PRE_VACUUM_STEAM = "pre_vacuum_steam", _("Pre-vacuum steam")
    GRAVITY_STEAM = "gravity_steam", _("Gravity-displacement steam")
    HYDROGEN_PEROXIDE = "h2o2_plasma", _("Hydrogen peroxide plasma")
    ETHYLENE_OXIDE = "ethylene_oxide", _("Ethylene oxide")
    THERMAL = "thermal", _("Thermal disinfection (washer)")


@dataclass(frozen=True)
class Program:
    """A program and the range its recorded parameters must fall in to pass."""

    code: str
    name: str
    method: str
    min_temperature: Decimal
    max_temperature: Decimal
    min_minutes: Decimal
    min_pressure_kpa: Decimal | None
    max_pressure_kpa: Decimal | None
    min_a0: int | None
    source: str


D = Decimal
PROGRAMS: dict[str, Program] = {
    p.code: p
    for p in (
        # Pre-vacuum steam, 132–134 ℃, at least 4 min, 184.4–210.7 kPa (WS 310.2-2016 5.8.1,
        # table of steam parameters); the temperature may range +3 ℃ above the set point
        # (WS 310.3-2016 4.4.2.1 a).
        Program(
            "PV134",
            "预真空 134℃ 4分钟",
            Method.PRE_VACUUM_STEAM,
            D("132"),
            D("137"),
            D("4"),
            D("184.4"),
            D("210.7"),
            None,
            f"{WS310_2} 5.8.1；{WS310_3} 4.4.2.1 a)",
        ),
        # Gravity-displacement steam, 121 ℃: instruments 20 min (dressings 30 min),
        # 102.8–122.9 kPa (WS 310.2-2016 5.8.1).
        Program(
            "GD121",
            "下排气 121℃ 器械20分钟",
            Method.GRAVITY_STEAM,
            D("121"),
            D("124"),
            D("20"),
            D("102.8"),
            D("122.9"),
            None,
            f"{WS310_2} 5.8.1；{WS310_3} 4.4.2.1 a)",
        ),
        # Hydrogen peroxide plasma: the manufacturer's validated cycle (WS 310.2-2016 5.8.2);
        # a chamber at 45–55 ℃ for the standard cycle of the common machines.
        Program(
            "H2O2-STD",
            "过氧化氢低温等离子 标准循环",
            Method.HYDROGEN_PEROXIDE,
            D("45"),
            D("55"),
            D("28"),
            None,
            None,
            None,
            f"{WS310_2} 5.8.2（遵循生产厂家的使用说明）",
        ),
        # Thermal disinfection in a washer before sterilisation: ≥ 90 ℃ for ≥ 1 min, or A0 ≥ 600
        # (WS 310.2-2016 5.4, table of moist-heat disinfection).
        Program(
            "WD90",
            "清洗消毒 90℃ 1分钟 A0≥600",
            Method.THERMAL,
            D("90"),
            D("95"),
            D("1"),
            None,
            None,
            600,
            f"{WS310_2} 5.4；{WS310_3} 4.2.2（清洗消毒器物理参数）",
        ),
        # Items used straight after disinfection: ≥ 90 ℃ for ≥ 5 min, or A0 ≥ 3000.
        Program(
            "WD93",
            "清洗消毒 93℃ 5分钟 A0≥3000",
            Method.THERMAL,
            D("90"),
            D("95"),
            D("5"),
            None,
            None,
            3000,
            f"{WS310_2} 5.4",
        ),
    )
}


def parameter_problems(
    program: Program,
    *,
    temperature: Decimal | None,
    minutes: Decimal | None,
    pressure_kpa: Decimal | None = None,
    a0: int | None = None,
) -> list[str]:
    """What of the recorded physical parameters falls outside the program's range (empty = pass).

    A washer passes on its A0 value alone when one is recorded (the A0 concept integrates time and
    temperature, WS 310.2-2016 5.4)."""
    problems: list[str] = []
    if program.min_a0 is not None and a0 is not None:
        if a0 < program.min_a0:
            problems.append(f"A0 {a0} < {program.min_a0}")
        return problems
    if temperature is None or minutes is None:
        return ["参数未记录"]
    if not program.min_temperature <= temperature <= program.max_temperature:
        problems.append(
            f"温度 {temperature}℃ 不在 {program.min_temperature}–{program.max_temperature}℃"
        )
    if minutes < program.min_minutes:
        problems.append(f"时间 {minutes} 分钟 < {program.min_minutes} 分钟")
    if program.min_pressure_kpa is not None:
        if pressure_kpa is None:
            problems.append("压力未记录")
        elif not program.min_pressure_kpa <= pressure_kpa <= program.max_pressure_kpa:
            problems.append(
                f"压力 {pressure_kpa} kPa 不在 "
                f"{program.min_pressure_kpa}–{program.max_pressure_kpa} kPa"
            )
    return problems


# --- Monitoring ------------------------------------------------------------------------------

# Chemical indicators by class (ISO 11140-1, named in WS 310.3-2016 4.4.2.2): an implant load
# released early in an emergency needs a class 5 integrating indicator (4.4.2.3 e).
CHEMICAL_CLASSES = (1, 4, 5, 6)
EMERGENCY_RELEASE_MIN_CLASS = 5


class BiFrequency(models.TextChoices):
    EVERY_LOAD = "every_load", _("Every load")
    DAILY = "daily", _("First load of each day")
    WEEKLY = "weekly", _("First load of each week")


@dataclass(frozen=True)
class MonitoringRule:
    method: str
    bi_frequency: str
    bowie_dick_daily: bool
    source: str


MONITORING: dict[str, MonitoringRule] = {
    m.method: m
    for m in (
        # Steam: a biological indicator at least weekly (4.4.2.3 a); pre-vacuum sterilisers run
        # an empty-chamber Bowie-Dick test every day before the first load and are used only
        # after it passes (4.4.2.4).
        MonitoringRule(
            Method.PRE_VACUUM_STEAM,
            BiFrequency.WEEKLY,
            True,
            f"{WS310_3} 4.4.2.3 a)、4.4.2.4",
        ),
        MonitoringRule(Method.GRAVITY_STEAM, BiFrequency.WEEKLY, False, f"{WS310_3} 4.4.2.3 a)"),
        # Hydrogen peroxide plasma: at least one biological indicator each day of use (4.4.4).
        MonitoringRule(Method.HYDROGEN_PEROXIDE, BiFrequency.DAILY, False, f"{WS310_3} 4.4.4"),
        # Ethylene oxide: every load (4.4.3).
        MonitoringRule(Method.ETHYLENE_OXIDE, BiFrequency.EVERY_LOAD, False, f"{WS310_3} 4.4.3"),
    )
}
# Every load with an implant carries a biological indicator and is released only on a negative
# result (WS 310.3-2016 4.4.1.5); in an emergency an implant load may be released early on a
# passing class 5 indicator, the BI result reported to the user department when read (4.4.2.3 e).
IMPLANT_RULE_SOURCE = f"{WS310_3} 4.4.1.5、4.4.2.3 e)"
# Physical failure: not released (4.4.1.2). Chemical failure outside the pack: not released;
# inside: not used (4.4.1.3).
PHYSICAL_RULE_SOURCE = f"{WS310_3} 4.4.1.2"
CHEMICAL_RULE_SOURCE = f"{WS310_3} 4.4.1.3"


# --- Recall ----------------------------------------------------------------------------------


class RecallReason(models.TextChoices):
    BI_POSITIVE = "bi_positive", _("Biological indicator positive")
    BOWIE_DICK_FAILED = "bowie_dick_failed", _("Bowie-Dick test failed")
    PARAMETERS = "parameters", _("Physical parameters out of range")
    CHEMICAL = "chemical", _("Chemical indicator failed")


class RecallScope(models.TextChoices):
    LOAD = "load", _("This load")
    SINCE_LAST_PASS = "since_last_pass", _("Every load on the steriliser since the last pass")


@dataclass(frozen=True)
class RecallRule:
    reason: str
    scope: str
    source: str


RECALL_RULES: dict[str, RecallRule] = {
    r.reason: r
    for r in (
        # A positive BI recalls everything sterilised since the last passing BI (4.4.1.4).
        RecallRule(RecallReason.BI_POSITIVE, RecallScope.SINCE_LAST_PASS, f"{WS310_3} 4.4.1.4"),
        # A failed Bowie-Dick test stops the steriliser until a test passes (4.4.2.4); we hold,
        # as the conservative reading, every load on it since the last passing test.
        RecallRule(
            RecallReason.BOWIE_DICK_FAILED,
            RecallScope.SINCE_LAST_PASS,
            f"{WS310_3} 4.4.2.4（范围：自上次合格以来，本平台从严）",
        ),
        RecallRule(RecallReason.PARAMETERS, RecallScope.LOAD, PHYSICAL_RULE_SOURCE),
        RecallRule(RecallReason.CHEMICAL, RecallScope.LOAD, CHEMICAL_RULE_SOURCE),
    )
}
# Recalled packs are reprocessed; after a BI failure the steriliser is used again only after three
# consecutive passing BIs (4.4.1.4).
PASSES_AFTER_BI_FAILURE = 3

# A collected pack's condition (WS 310.2-2016 5.1: what came back, what is missing or damaged).


class Condition(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    MISSING = "missing", _("Items missing")
    DAMAGED = "damaged", _("Items damaged")
