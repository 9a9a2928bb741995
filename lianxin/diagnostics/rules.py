"""Catalogues and limits of the shared diagnostic centres, as data with their sources.

- ``EXAMS``: the exam catalogue (code, name, centre type, modality, price in yuan). The
  ``ExamItem`` table is synced from it by a data migration; prices are the county's demo price
  list (provincial price catalogues differ, so the table is editable by administrators).
- ``ANALYTES``: lab analytes with the one unit the platform accepts for each.
- ``CRITICAL_LIMITS``: critical-value (危急值) limits per analyte, by age and sex where needed.
- ``RECOGNITION_RULES``: default result-recognition (互认) rules per exam item.
- ``RetestReason``: the national reasons for repeating an exam instead of recognising it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# 国家卫生健康委等《医疗机构检查检验结果互认管理办法》(国卫医发〔2022〕6号).
SOURCE_RECOGNITION = "国卫医发〔2022〕6号《医疗机构检查检验结果互认管理办法》"
# 《医疗质量安全核心制度要点》(国卫医发〔2018〕8号), 危急值报告制度: notify at once, read back,
# record; external specimens: the testing and the sending institution are both responsible.
SOURCE_CORE_RULES = "国卫医发〔2018〕8号《医疗质量安全核心制度要点》危急值报告制度"
# The limits themselves are each hospital's own list; the demo uses limits common in Chinese
# county-hospital lists (after WS/T 405-2012 units for blood counts). Confirm locally.
SOURCE_HOSPITAL_LIST = "医共体检验中心危急值项目表 (demo list; confirm locally)"
SOURCE_WST405 = "WS/T 405-2012《血细胞分析参考区间》(units); " + SOURCE_HOSPITAL_LIST
SOURCE_PRICES = "县医疗服务价格目录 (demo prices)"


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    STAT = "stat", _("Emergency (STAT)")


# Worklist rank: lower is read first.
PRIORITY_RANK = {Priority.STAT: 0, Priority.URGENT: 1, Priority.ROUTINE: 2}

# How long a performed study may wait for its report before it is overdue (and may overflow).
READ_WITHIN = {
    Priority.STAT: datetime.timedelta(minutes=30),
    Priority.URGENT: datetime.timedelta(hours=2),
    Priority.ROUTINE: datetime.timedelta(hours=24),
}
# How long an ordered exam may wait to be performed.
PERFORM_WITHIN = {
    Priority.STAT: datetime.timedelta(hours=1),
    Priority.URGENT: datetime.timedelta(hours=6),
    Priority.ROUTINE: datetime.timedelta(days=7),
}
# Default time before an unacknowledged critical result escalates (settable:
# LIANXIN_CRITICAL_ESCALATE_MINUTES).
CRITICAL_ESCALATE_AFTER = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class ExamSpec:
    code: str
    name: str
    centre_type: str
    modality: str  # accession prefix: CT, MR, DR, US, EC (ECG), LB (lab), PA (pathology)
    price: Decimal
    analytes: tuple[str, ...] = ()
    urgent: bool = False  # always read as urgent (a frozen section during surgery)
    source: str = SOURCE_PRICES


EXAMS: tuple[ExamSpec, ...] = (
    ExamSpec("CT-CHEST", "胸部CT平扫", "imaging", "CT", Decimal("260")),
    ExamSpec("CT-HEAD", "头颅CT平扫", "imaging", "CT", Decimal("220")),
    ExamSpec("DR-CHEST", "胸部DR正位片", "imaging", "DR", Decimal("70")),
    ExamSpec("MR-HEAD", "头颅MR平扫", "imaging", "MR", Decimal("600")),
    ExamSpec("US-ABD", "腹部彩超", "imaging", "US", Decimal("150")),
    ExamSpec("ECG-12", "常规十二导联心电图", "ecg", "EC", Decimal("25")),
    ExamSpec("CBC", "血常规", "laboratory", "LB", Decimal("20"), ("WBC", "HGB", "PLT")),
    ExamSpec("LFT", "肝功能", "laboratory", "LB", Decimal("60"), ("ALT", "AST", "TBIL")),
    ExamSpec("ELEC", "电解质", "laboratory", "LB", Decimal("30"), ("K", "NA")),
    ExamSpec("GLU", "血糖", "laboratory", "LB", Decimal("8"), ("GLU",)),
    ExamSpec("TNI", "肌钙蛋白I", "laboratory", "LB", Decimal("90"), ("CTNI",), urgent=True),
    ExamSpec("BIOPSY", "活检组织病理", "pathology", "PA", Decimal("300")),
    ExamSpec("FROZEN", "术中冰冻切片", "pathology", "PA", Decimal("400"), urgent=True),
)
EXAMS_BY_CODE = {e.code: e for e in EXAMS}


@dataclass(frozen=True)
class AnalyteSpec:
    code: str
    name: str
    unit: str
    loinc: str = ""


ANALYTES: dict[str, AnalyteSpec] = {
    a.code: a
    for a in (
        AnalyteSpec("WBC", "白细胞计数", "10^9/L", "6690-2"),
        AnalyteSpec("HGB", "血红蛋白", "g/L", "718-7"),
        AnalyteSpec("PLT", "血小板计数", "10^9/L", "777-3"),
        AnalyteSpec("ALT", "丙氨酸氨基转移酶", "U/L", "1742-6"),
        AnalyteSpec("AST", "天门冬氨酸氨基转移酶", "U/L", "1920-8"),
        AnalyteSpec("TBIL", "总胆红素", "umol/L", "14631-6"),
        AnalyteSpec("K", "钾", "mmol/L", "2823-3"),
        AnalyteSpec("NA", "钠", "mmol/L", "2951-2"),
        AnalyteSpec("GLU", "葡萄糖", "mmol/L", "2345-7"),
        AnalyteSpec("CTNI", "肌钙蛋白I", "ng/mL", "10839-9"),
    )
}
# Spellings of a unit that mean the same thing; anything else is a wrong unit.
UNIT_ALIASES = {"µmol/L": "umol/L", "μmol/L": "umol/L", "×10^9/L": "10^9/L", "10*9/L": "10^9/L"}


def normalise_unit(unit: str) -> str:
    unit = (unit or "").strip()
    return UNIT_ALIASES.get(unit, unit)


@dataclass(frozen=True)
class CriticalLimit:
    """Below ``low`` or above ``high`` is critical, for patients this limit applies to."""

    analyte: str
    low: Decimal | None
    high: Decimal | None
    source: str
    min_age: int = 0  # years, inclusive
    max_age: int = 200  # years, exclusive
    sex: str = ""  # "1" male, "2" female (GB/T 2261.1), "" both


CRITICAL_LIMITS: tuple[CriticalLimit, ...] = (
    CriticalLimit("K", Decimal("2.8"), Decimal("6.2"), SOURCE_HOSPITAL_LIST),
    CriticalLimit("NA", Decimal("120"), Decimal("160"), SOURCE_HOSPITAL_LIST),
    # Neonates and infants tolerate lower glucose for a short time; children's limit differs.
    CriticalLimit("GLU", Decimal("2.2"), Decimal("22.2"), SOURCE_HOSPITAL_LIST, min_age=1),
    CriticalLimit("GLU", Decimal("1.7"), Decimal("22.2"), SOURCE_HOSPITAL_LIST, max_age=1),
    CriticalLimit("WBC", Decimal("2.0"), Decimal("30"), SOURCE_WST405),
    CriticalLimit("PLT", Decimal("30"), Decimal("1000"), SOURCE_WST405),
    CriticalLimit("HGB", Decimal("50"), Decimal("200"), SOURCE_WST405, min_age=1, sex="1"),
    CriticalLimit("HGB", Decimal("50"), Decimal("180"), SOURCE_WST405, min_age=1, sex="2"),
    CriticalLimit("HGB", Decimal("95"), Decimal("230"), SOURCE_WST405, max_age=1),
    CriticalLimit("CTNI", None, Decimal("0.5"), SOURCE_HOSPITAL_LIST),
    CriticalLimit("TBIL", None, Decimal("340"), SOURCE_HOSPITAL_LIST, max_age=1),
)


def critical_limit(analyte: str, age: int, sex: str) -> CriticalLimit | None:
    """The limit for this analyte and patient, if the list has one."""
    for limit in CRITICAL_LIMITS:
        if (
            limit.analyte == analyte
            and limit.min_age <= age < limit.max_age
            and (not limit.sex or limit.sex == sex)
        ):
            return limit
    return None


def is_critical(analyte: str, value: Decimal, age: int, sex: str) -> bool:
    limit = critical_limit(analyte, age, sex)
    if limit is None:
        return False
    return (limit.low is not None and value < limit.low) or (
        limit.high is not None and value > limit.high
    )


# Findings a reader may flag as critical, per centre type (the hospital's list).
CRITICAL_FINDINGS: dict[str, tuple[str, ...]] = {
    "imaging": ("急性脑出血", "大面积脑梗死", "张力性气胸", "主动脉夹层", "消化道穿孔", "肺栓塞"),
    "ecg": ("急性ST段抬高型心肌梗死", "室颤/室扑", "三度房室传导阻滞", "心室停搏", "室速"),
    "pathology": ("冰冻切片与术前诊断不符", "意外发现恶性肿瘤", "活检标本感染性病原体"),
    "laboratory": (),
}


class Scope(models.TextChoices):
    """How far a result is recognised (国卫医发〔2022〕6号, art. 10: by level of QC body)."""

    COMMUNITY = "community", _("Within the medical community")
    CITY = "city", _("Within the city")
    PROVINCE = "province", _("Within the province")


# Length of the administrative division code prefix that defines each scope (GB/T 2260).
SCOPE_PREFIX = {Scope.CITY: 4, Scope.PROVINCE: 2}


@dataclass(frozen=True)
class RecognitionRuleSpec:
    exam: str
    validity_days: int
    scope: str
    requires_qc: bool
    conditions: str
    source: str = SOURCE_RECOGNITION


# Validity windows: the 2022 measures leave them to each province; these follow common
# provincial tables (imaging 30 days or more, fast-changing lab items a few days).
RECOGNITION_RULES: tuple[RecognitionRuleSpec, ...] = (
    RecognitionRuleSpec("CT-CHEST", 30, Scope.PROVINCE, True, "设备通过年度质控; 图像可调阅"),
    RecognitionRuleSpec("CT-HEAD", 30, Scope.PROVINCE, True, "设备通过年度质控; 图像可调阅"),
    RecognitionRuleSpec("DR-CHEST", 30, Scope.PROVINCE, True, "设备通过年度质控"),
    RecognitionRuleSpec("US-ABD", 14, Scope.CITY, True, "检查者具备超声资质"),
    RecognitionRuleSpec("ECG-12", 7, Scope.COMMUNITY, True, "心电图原始波形可调阅"),
    RecognitionRuleSpec("CBC", 7, Scope.CITY, True, "室间质评合格"),
    RecognitionRuleSpec("LFT", 14, Scope.CITY, True, "室间质评合格"),
    RecognitionRuleSpec("ELEC", 3, Scope.COMMUNITY, True, "室间质评合格"),
    RecognitionRuleSpec("GLU", 3, Scope.COMMUNITY, True, "室间质评合格"),
    RecognitionRuleSpec("TNI", 1, Scope.COMMUNITY, True, "室间质评合格"),
    RecognitionRuleSpec("BIOPSY", 180, Scope.PROVINCE, True, "切片及蜡块可借阅"),
)


class RetestReason(models.TextChoices):
    """Reasons to repeat an exam instead of recognising a prior result (国卫医发〔2022〕6号,
    art. 19)."""

    CONDITION_CHANGED = "condition_changed", _("The condition has changed")
    FAST_CHANGING = "fast_changing", _("The item changes fast with the disease")
    MAJOR_TREATMENT = "major_treatment", _("Decisive for a major treatment")
    EMERGENCY = "emergency", _("Emergency or rescue")
    FORENSIC = "forensic", _("Forensic or disability assessment")
    OTHER = "other", _("Other (say why)")


# Centre type of each department kind that can take the reading when the centre overflows.
OVERFLOW_DEPARTMENT_CODES = {
    "imaging": ("YXK",),
    "ecg": ("XXG",),
    "laboratory": ("JYK",),
    "pathology": ("BLK",),
}


# How the pages name each modality / accession prefix (DICOM PS3.3 C.7.3.1.1.1 defined terms for
# CT, MR, DX/DR, US; EC, LB, PA are Lianxin's own prefixes for ECG, laboratory and pathology).
MODALITY_LABELS = {
    "CT": _("CT"),
    "MR": _("MRI"),
    "DR": _("Digital radiography"),
    "US": _("Ultrasound"),
    "EC": _("ECG"),
    "LB": _("Laboratory"),
    "PA": _("Pathology"),
}

# Headings of the report sections that the reading form stores under fixed keys.
REPORT_SECTION_LABELS = {
    "findings": _("Findings"),
    "technique": _("Technique"),
    "comparison": _("Comparison"),
}
