"""The specialty catalogue (诊疗科目), as data with its source.

Codes and names follow the catalogue of diagnosis and treatment subjects: two digits for a subject
(03 内科), ``NN.MM`` for a specialty within it (03.04 心血管内科专业). ``sync_specialties()`` writes
them to the ``Specialty`` table; a data migration runs it so that every database has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUBJECTS_1994 = "国家卫生健康委（原卫生部）《医疗机构诊疗科目名录》（卫医发〔1994〕27号）"
PAIN_2007 = "原卫生部《关于在〈医疗机构诊疗科目名录〉中增加“疼痛科”诊疗科目的通知》（2007）"
ICU_2009 = "原卫生部《关于在〈医疗机构诊疗科目名录〉中增加“重症医学科”诊疗科目的通知》（2009）"


@dataclass(frozen=True)
class SpecialtyRule:
    code: str
    name: str
    source: str = SUBJECTS_1994


SPECIALTIES: tuple[SpecialtyRule, ...] = (
    SpecialtyRule("01", "预防保健科"),
    SpecialtyRule("02", "全科医疗科"),
    SpecialtyRule("03", "内科"),
    SpecialtyRule("03.01", "呼吸内科专业"),
    SpecialtyRule("03.02", "消化内科专业"),
    SpecialtyRule("03.03", "神经内科专业"),
    SpecialtyRule("03.04", "心血管内科专业"),
    SpecialtyRule("03.05", "血液内科专业"),
    SpecialtyRule("03.06", "肾病学专业"),
    SpecialtyRule("03.07", "内分泌专业"),
    SpecialtyRule("03.10", "老年病专业"),
    SpecialtyRule("04", "外科"),
    SpecialtyRule("04.01", "普通外科专业"),
    SpecialtyRule("04.02", "神经外科专业"),
    SpecialtyRule("04.03", "骨科专业"),
    SpecialtyRule("04.04", "泌尿外科专业"),
    SpecialtyRule("04.05", "胸外科专业"),
    SpecialtyRule("04.06", "心脏大血管外科专业"),
    SpecialtyRule("05", "妇产科"),
    SpecialtyRule("05.01", "妇科专业"),
    SpecialtyRule("05.02", "产科专业"),
    SpecialtyRule("06", "妇女保健科"),
    SpecialtyRule("07", "儿科"),
    SpecialtyRule("08", "小儿外科"),
    SpecialtyRule("09", "儿童保健科"),
    SpecialtyRule("10", "眼科"),
    SpecialtyRule("11", "耳鼻咽喉科"),
    SpecialtyRule("12", "口腔科"),
    SpecialtyRule("13", "皮肤科"),
    SpecialtyRule("15", "精神科"),
    SpecialtyRule("16", "传染科"),
    SpecialtyRule("19", "肿瘤科"),
    SpecialtyRule("20", "急诊医学科"),
    SpecialtyRule("21", "康复医学科"),
    SpecialtyRule("26", "麻醉科"),
    SpecialtyRule("27", "疼痛科", PAIN_2007),
    SpecialtyRule("28", "重症医学科", ICU_2009),
    SpecialtyRule("30", "医学检验科"),
    SpecialtyRule("31", "病理科"),
    SpecialtyRule("32", "医学影像科"),
    SpecialtyRule("32.01", "X线诊断专业"),
    SpecialtyRule("32.02", "CT诊断专业"),
    SpecialtyRule("32.03", "磁共振成像诊断专业"),
    SpecialtyRule("32.05", "超声诊断专业"),
    SpecialtyRule("32.06", "心电诊断专业"),
    SpecialtyRule("32.09", "介入放射学专业"),
    SpecialtyRule("50", "中医科"),
    SpecialtyRule("51", "民族医学科"),
    SpecialtyRule("52", "中西医结合科"),
)

SPECIALTY_CODES = frozenset(rule.code for rule in SPECIALTIES)


def sync_specialties(specialty_model: Any = None) -> int:
    """Create or rename catalogue rows; returns rows changed (0 on a second run)."""
    if specialty_model is None:
        from lianxin.workforce.models import Specialty as specialty_model
    changed = 0
    for rule in SPECIALTIES:
        row = specialty_model.objects.filter(code=rule.code).first()
        if row is None:
            specialty_model.objects.create(code=rule.code, name=rule.name)
            changed += 1
        elif row.name != rule.name:
            row.name = rule.name
            row.save(update_fields=["name"])
            changed += 1
    return changed
