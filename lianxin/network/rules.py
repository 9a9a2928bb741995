"""The capability catalogue, as data with its sources.

A *facility* capability (CT, ICU, cath lab) is what equipment in use or a staffed unit provides; a
*procedure* (PCI, thrombolysis, caesarean section) is what credentialed practitioners perform, and
it ``requires`` facilities to be available at the same site. ``sync_capabilities()`` writes the
catalogue to the ``Capability`` table; a data migration runs it so that every database has it.

The ``name`` is shown to Chinese-speaking users as data (like an institution's name), so it is
Chinese; the ``code`` is the stable key used in code, the API and imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Sources, named once so that entries cite them consistently.
SUBJECTS_1994 = "国家卫生健康委（原卫生部）《医疗机构诊疗科目名录》（卫医发〔1994〕27号）"
ICU_2009 = "原卫生部《重症医学科建设与管理指南（试行）》（2009）"
NEONATAL_2009 = "原卫生部《新生儿病室建设与管理指南（试行）》（2009）"
DIALYSIS_2010 = "原卫生部《医疗机构血液透析室管理规范》（2010）"
BLOOD_2012 = "原卫生部《医疗机构临床用血管理办法》（卫生部令第85号，2012）"
LAB_2006 = "原卫生部《医疗机构临床实验室管理办法》（卫医发〔2006〕73号）"
PATHOLOGY_2009 = "原卫生部《病理科建设与管理指南（试行）》（2009）"
OR_2009 = "原卫生部《医院手术部（室）管理规范（试行）》（2009）"
CSSD_2016 = "WS 310.1-2016《医院消毒供应中心 第1部分：管理规范》"
CARDIO_INTERVENTION = "国家卫生健康委《心血管疾病介入诊疗技术临床应用管理规范》"
ENDOSCOPY = "国家卫生健康委《消化内镜诊疗技术临床应用管理规范》"
CHEST_PAIN_2017 = "国家卫生健康委《胸痛中心建设与管理指导原则（试行）》（2017）"
STROKE_2016 = "国家卫生健康委《卒中中心建设与管理指导原则（试行）》（2016）"
TRAUMA_2018 = "国家卫生健康委《创伤中心建设与管理指导原则（试行）》（2018）"
SURGERY_GRADING_2022 = "国家卫生健康委《医疗机构手术分级管理办法》（2022）"
ECMO_CONSENSUS = "中国医师协会体外生命支持专业委员会《成人体外膜氧合循环辅助专家共识》（2018）"

FACILITY = "facility"
PROCEDURE = "procedure"


@dataclass(frozen=True)
class CapabilityRule:
    code: str
    name: str
    kind: str
    category: str
    source: str
    requires: tuple[str, ...] = ()


CAPABILITIES: tuple[CapabilityRule, ...] = (
    # Imaging and diagnostics (诊疗科目 32 医学影像科 and its specialties 32.01-32.06).
    CapabilityRule("dr", "DR（数字X线摄影）", FACILITY, "imaging", f"{SUBJECTS_1994} 32.01"),
    CapabilityRule("ct", "CT", FACILITY, "imaging", f"{SUBJECTS_1994} 32.02"),
    CapabilityRule("mri", "磁共振（MRI）", FACILITY, "imaging", f"{SUBJECTS_1994} 32.03"),
    CapabilityRule("ultrasound", "超声", FACILITY, "imaging", f"{SUBJECTS_1994} 32.05"),
    CapabilityRule("ecg", "心电图", FACILITY, "diagnostics", f"{SUBJECTS_1994} 32.06"),
    CapabilityRule("laboratory", "临床检验", FACILITY, "diagnostics", LAB_2006),
    CapabilityRule("pathology", "病理", FACILITY, "diagnostics", PATHOLOGY_2009),
    CapabilityRule("gastroscopy", "胃镜", FACILITY, "endoscopy", ENDOSCOPY),
    CapabilityRule("colonoscopy", "结肠镜", FACILITY, "endoscopy", ENDOSCOPY),
    # Units and rooms.
    CapabilityRule("operating_room", "手术室", FACILITY, "surgery", OR_2009),
    CapabilityRule("icu", "重症监护病房（ICU）", FACILITY, "critical_care", ICU_2009),
    CapabilityRule("nicu", "新生儿重症监护（NICU）", FACILITY, "critical_care", NEONATAL_2009),
    CapabilityRule("ecmo", "体外膜肺氧合（ECMO）", FACILITY, "critical_care", ECMO_CONSENSUS),
    CapabilityRule("pci_lab", "导管室（DSA）", FACILITY, "cardiology", CARDIO_INTERVENTION),
    CapabilityRule("dialysis", "血液透析室", FACILITY, "nephrology", DIALYSIS_2010),
    CapabilityRule("delivery_room", "产房", FACILITY, "obstetrics", f"{SUBJECTS_1994} 05.02"),
    CapabilityRule("blood_bank", "输血科（血库）", FACILITY, "transfusion", BLOOD_2012),
    CapabilityRule("sterile_supply", "消毒供应中心", FACILITY, "support", CSSD_2016),
    # Procedures performed by credentialed practitioners.
    CapabilityRule(
        "pci", "经皮冠状动脉介入治疗（PCI）", PROCEDURE, "cardiology", CARDIO_INTERVENTION,
        requires=("pci_lab", "ecg"),
    ),
    CapabilityRule(
        "thrombolysis_stemi", "STEMI静脉溶栓", PROCEDURE, "cardiology", CHEST_PAIN_2017,
        requires=("ecg",),
    ),
    CapabilityRule(
        # A head CT must exclude haemorrhage before stroke thrombolysis.
        "thrombolysis_stroke", "急性缺血性卒中静脉溶栓", PROCEDURE, "neurology", STROKE_2016,
        requires=("ct",),
    ),
    CapabilityRule(
        "mechanical_thrombectomy", "急性缺血性卒中机械取栓", PROCEDURE, "neurology",
        STROKE_2016, requires=("ct", "pci_lab"),
    ),
    CapabilityRule(
        "caesarean_section", "剖宫产术", PROCEDURE, "obstetrics", f"{SUBJECTS_1994} 05.02",
        requires=("operating_room", "blood_bank"),
    ),
    CapabilityRule(
        "obstetric_surgery", "产科手术", PROCEDURE, "obstetrics", f"{SUBJECTS_1994} 05.02",
        requires=("operating_room",),
    ),
    CapabilityRule(
        "vaginal_delivery", "阴道分娩接产", PROCEDURE, "obstetrics", f"{SUBJECTS_1994} 05.02",
        requires=("delivery_room",),
    ),
    CapabilityRule(
        "cervical_spine_surgery", "颈椎手术（脊柱创伤）", PROCEDURE, "orthopaedics",
        f"{SUBJECTS_1994} 04.03; {SURGERY_GRADING_2022}", requires=("operating_room", "ct"),
    ),
    CapabilityRule(
        "trauma_surgery", "严重创伤手术", PROCEDURE, "trauma", TRAUMA_2018,
        requires=("operating_room", "ct", "blood_bank"),
    ),
    CapabilityRule(
        "appendectomy", "阑尾切除术", PROCEDURE, "general_surgery", f"{SUBJECTS_1994} 04.01",
        requires=("operating_room",),
    ),
    CapabilityRule(
        "hemodialysis", "血液透析治疗", PROCEDURE, "nephrology", DIALYSIS_2010,
        requires=("dialysis",),
    ),
    CapabilityRule(
        "endoscopic_haemostasis", "内镜下止血术", PROCEDURE, "endoscopy", ENDOSCOPY,
        requires=("gastroscopy",),
    ),
    CapabilityRule(
        "endoscopic_polypectomy", "内镜下息肉切除术", PROCEDURE, "endoscopy", ENDOSCOPY,
        requires=("colonoscopy",),
    ),
    CapabilityRule(
        "ecmo_support", "ECMO循环辅助", PROCEDURE, "critical_care", ECMO_CONSENSUS,
        requires=("ecmo", "icu"),
    ),
)  # fmt: skip

CAPABILITY_CODES = frozenset(rule.code for rule in CAPABILITIES)


def sync_capabilities(capability_model: Any = None) -> int:
    """Create or update the catalogue rows and their ``requires`` links; returns rows changed.

    Running it twice changes nothing the second time. Rows not in the catalogue are left alone
    (equipment may point at them). A data migration passes its historical model.
    """
    if capability_model is None:
        from lianxin.network.models import Capability as capability_model
    changed = 0
    rows: dict[str, Any] = {}
    for rule in CAPABILITIES:
        values = {
            "name": rule.name,
            "kind": rule.kind,
            "category": rule.category,
            "source": rule.source,
        }
        row = capability_model.objects.filter(code=rule.code).first()
        if row is None:
            row = capability_model.objects.create(code=rule.code, **values)
            changed += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.save()
            changed += 1
        rows[rule.code] = row
    for rule in CAPABILITIES:
        row = rows[rule.code]
        wanted = {rows[code].pk for code in rule.requires}
        if set(row.requires.values_list("pk", flat=True)) != wanted:
            row.requires.set(wanted)
            changed += 1
    return changed
