"""Synthetic referrals and consultations for the demo county and the referral benchmarks.

This is fixture generation of a synthetic world, not user activity. The rows are made in memory
and written with ``bulk_create`` in batches, without going through ``referrals.actions`` (which
would take one transaction, one audit row and several queries per step: hours for a benchmark's
200,000 referrals). What the actions would write holds by construction:

- every item moves only along transitions that the actions make (create, submit, receive,
  accept, reject, cancel, no-show, start, complete), one ``ReferralTransition`` /
  ``ConsultationTransition`` row per move with the side, institution and version the engine would
  record; the first row is ``create`` and the last status change is the item's status;
- due times come from the workflow's own rules (``Referral.workflow.due_at``), closed items have
  none, and an item left waiting past its due time carries the escalation rows that
  ``escalate_overdue`` would have written (at most two levels: head, then duty officer);
- the receiving side sees the patient through the ``CareRelationship`` rows ``open_care`` writes,
  ended when ``close_care`` would end them;
- booked slots, green-channel milestones, care-plan items and their results, MDT contributions
  and ratings follow the same order in time as the actions allow.

The build writes one summary audit row for the whole county (``lianxin.demo.build``); these rows
have none of their own. Times count back from ``anchor_time``: the moment of the build, or 18:00
on ``DemoOptions.today`` when that day is past, so that a build with a past day is reproducible.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, models
from django.utils import timezone

from lianxin.core.workflow import Side, Status
from lianxin.network.models import Department, Institution
from lianxin.patients.models import CareRelationship, Patient, PatientIdentifier
from lianxin.referrals.models import (
    AppointmentSlot,
    Consultation,
    ConsultationInvitee,
    ConsultationTransition,
    FollowUpItem,
    GreenChannelEvent,
    Referral,
    ReferralTransition,
)
from lianxin.referrals.rules import (
    CONSULTATION_ACCESS_AFTER,
    ESCALATION_ROLES,
    REFERRAL_ACCESS_AFTER,
    ConsultationKind,
    Direction,
    FollowUpKind,
    Milestone,
    Urgency,
)
from lianxin.workforce.models import Practitioner

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
YEAR = datetime.timedelta(days=365)

# Volumes per resident and year (demo choices: a busy county, so that a demo of 5,000 residents
# shows a few thousand referrals; they scale with the resident count).
UP_REFERRALS_PER_RESIDENT = 0.45
CONSULTATIONS_PER_RESIDENT = 0.12
# Outcomes of an up-referral (the remainder completes); shares of all up-referrals.
SHARE_REJECTED = 0.06
SHARE_CANCELLED = 0.045
SHARE_NO_SHOW = 0.04  # of routine referrals with a booked slot
# Recent items left waiting by the receiving side: the overdue (and escalated) ones.
SHARE_STUCK_RECENT = 0.03
SHARE_RECEIVED_FIRST = 0.3  # opened before being answered
SHARE_SLOW_ANSWER = 0.04  # answered after the due time (and escalated first)
SHARE_BOOKED = 0.65  # routine referrals to a county hospital accepted with a reserved slot
SHARE_OUTCOME_SEEN = 0.85
SHARE_RATED = 0.85
SHARE_MDT = 0.15
SHARE_LOST_TO_FOLLOW_UP = 0.06
MAX_ESCALATION_LEVEL = len(ESCALATION_ROLES)
BATCH = 2000


@dataclass(frozen=True)
class Condition:
    """A common reason for referral, with where it goes and what happens after."""

    code: str
    text: str
    weight: float
    ages: tuple[int, int]
    urgency: tuple[float, float, float]  # routine, urgent, emergency
    targets: tuple[tuple[str, str, float], ...]  # (place, department code, weight)
    stay: tuple[int, int]  # days from arrival to the outcome
    down_share: float  # completed up-referrals sent back down with a care plan
    plan: tuple[tuple[str, str, int], ...]  # (kind, what, days after discharge)
    treatments: tuple[str, ...]
    advice: tuple[str, ...]
    sex: str = ""
    child_target: tuple[str, str] | None = None  # under 14: (place, department code)


V, T, M, R, X = (
    FollowUpKind.VISIT,
    FollowUpKind.TEST,
    FollowUpKind.MEDICATION,
    FollowUpKind.REHAB,
    FollowUpKind.OTHER,
)

# ICD-10 codes as on Chinese records (GB/T 14396-2016). Plans stay within four weeks: the outcome
# of a referral in progress is due within 30 days (rules.OUTCOME_WITHIN).
CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "I10",
        "原发性高血压",
        12,
        (35, 95),
        (0.9, 0.1, 0),
        (("county", "XXG", 1),),
        (2, 6),
        0.5,
        (
            (V, "血压复测，调整降压药物", 5),
            (M, "降压药物依从性评估", 14),
            (T, "复查血脂、肾功能", 28),
        ),
        (
            "调整降压方案（氨氯地平联合缬沙坦）",
            "完善动态血压及靶器官评估后调整用药",
            "静脉降压后过渡为口服药物",
        ),
        ("低盐饮食，每日早晚测量血压", "规律服药，2周后基层复诊", "戒烟限酒，控制体重"),
    ),
    Condition(
        "E11.9",
        "2型糖尿病",
        9,
        (35, 90),
        (0.92, 0.08, 0),
        (("county", "NFM", 1),),
        (4, 9),
        0.55,
        (
            (V, "空腹及餐后血糖监测", 5),
            (M, "降糖方案评估", 14),
            (T, "复查糖化血红蛋白、尿微量白蛋白", 28),
        ),
        ("胰岛素强化治疗后转为口服降糖药", "二甲双胍联合达格列净治疗", "糖尿病教育及饮食运动指导"),
        ("糖尿病饮食，监测血糖", "注意足部护理，每日检查双足", "低血糖时及时进食并就诊"),
    ),
    Condition(
        "I63.9",
        "脑梗死",
        7,
        (45, 95),
        (0.3, 0.4, 0.3),
        (("county", "SJNK", 0.85), ("tertiary", "SJNK", 0.15)),
        (8, 16),
        0.6,
        (
            (R, "肢体功能康复训练评估", 5),
            (V, "血压、血脂控制情况随访", 14),
            (M, "抗血小板药物使用及出血风险评估", 28),
        ),
        ("抗血小板聚集、调脂稳定斑块及改善循环治疗", "静脉溶栓后抗血小板治疗", "早期康复训练"),
        ("长期服用阿司匹林及阿托伐他汀", "坚持康复训练，预防跌倒", "控制血压，低盐低脂饮食"),
    ),
    Condition(
        "I21.9",
        "急性心肌梗死",
        3,
        (40, 90),
        (0, 0.1, 0.9),
        (("tertiary", "XXG", 0.6), ("county", "XXG", 0.4)),
        (5, 10),
        0.6,
        (
            (V, "胸痛症状及心电图复查", 5),
            (M, "双联抗血小板治疗依从性评估", 14),
            (T, "复查血脂、肝功能", 28),
        ),
        ("急诊PCI术，植入支架1枚", "静脉溶栓后转入CCU监护", "冠脉造影后药物保守治疗"),
        ("双联抗血小板治疗12个月，勿自行停药", "心脏康复，逐步增加活动量", "如再发胸痛立即拨打120"),
    ),
    Condition(
        "I50.9",
        "心力衰竭",
        5,
        (55, 95),
        (0.5, 0.4, 0.1),
        (("county", "XXG", 1),),
        (6, 12),
        0.5,
        ((V, "体重、水肿及活动耐量评估", 4), (M, "利尿剂剂量调整", 14)),
        ("利尿、扩血管及改善心室重构治疗", "纠正诱因（肺部感染）并强心利尿", "优化抗心衰药物方案"),
        ("每日称体重，限制饮水量", "规律服用沙库巴曲缬沙坦", "活动后气促加重及时就诊"),
    ),
    Condition(
        "J18.9",
        "肺炎",
        9,
        (0, 95),
        (0.6, 0.35, 0.05),
        (("county", "HXNK", 1),),
        (5, 10),
        0.2,
        ((V, "复查血常规及肺部体征", 7),),
        ("头孢类抗生素抗感染治疗", "抗感染、化痰及氧疗", "莫西沙星抗感染治疗"),
        ("注意休息，多饮水", "1周后复查胸片", "接种肺炎球菌疫苗"),
        child_target=("county", "EK"),
    ),
    Condition(
        "J44.1",
        "慢性阻塞性肺病伴急性加重",
        6,
        (50, 95),
        (0.5, 0.45, 0.05),
        (("county", "HXNK", 1),),
        (7, 12),
        0.5,
        ((V, "肺功能及呼吸症状评估", 7), (M, "吸入剂使用方法指导", 14)),
        ("抗感染、解痉平喘及无创通气治疗", "雾化吸入及全身激素治疗", "控制性氧疗及抗感染"),
        ("规律使用噻托溴铵吸入剂", "戒烟，进行呼吸功能锻炼", "家庭氧疗每日15小时以上"),
    ),
    Condition(
        "K35.8",
        "急性阑尾炎",
        4,
        (6, 80),
        (0, 0.7, 0.3),
        (("county", "PWK", 1),),
        (4, 7),
        0.2,
        ((V, "切口愈合情况检查、拆线", 7),),
        ("腹腔镜阑尾切除术", "急诊开腹阑尾切除术", "抗感染保守治疗"),
        ("1个月内避免剧烈运动", "保持切口清洁干燥", "清淡饮食"),
    ),
    Condition(
        "K80.2",
        "胆囊结石",
        4,
        (30, 85),
        (0.85, 0.15, 0),
        (("county", "PWK", 1),),
        (4, 8),
        0.2,
        ((V, "术后切口及饮食恢复情况", 10),),
        ("腹腔镜胆囊切除术", "择期腹腔镜胆囊切除术", "抗感染、解痉后手术治疗"),
        ("低脂饮食", "术后1个月门诊复查", "如出现黄疸、发热及时就诊"),
    ),
    Condition(
        "S72.0",
        "股骨颈骨折",
        3,
        (60, 95),
        (0.2, 0.6, 0.2),
        (("county", "GK", 1),),
        (10, 20),
        0.7,
        ((R, "髋关节功能康复训练", 5), (V, "复查髋关节X线片", 21), (R, "下地行走能力评估", 28)),
        ("人工股骨头置换术", "全髋关节置换术", "闭合复位空心钉内固定术"),
        ("助行器辅助下地，预防跌倒", "术后6周内避免髋关节过度屈曲", "抗凝治疗预防深静脉血栓"),
    ),
    Condition(
        "O80",
        "单胎顺产",
        4,
        (20, 42),
        (0.8, 0.2, 0),
        (("mch", "CK", 0.7), ("county", "FCK", 0.3)),
        (2, 4),
        0.6,
        ((V, "产后访视：子宫复旧、母乳喂养", 3), (V, "新生儿访视", 7), (V, "产后42天健康检查", 28)),
        ("足月顺产一活婴", "会阴侧切助产分娩", "自然分娩，产后恢复好"),
        ("母乳喂养，注意产褥期卫生", "产后42天来院复查", "新生儿按时接种疫苗"),
        sex="F",
    ),
    Condition(
        "O24.4",
        "妊娠期糖尿病",
        1.5,
        (20, 42),
        (0.9, 0.1, 0),
        (("mch", "CK", 1),),
        (1, 3),
        0.5,
        ((T, "复查空腹及餐后血糖", 7),),
        ("医学营养治疗及血糖监测", "胰岛素控制血糖", "饮食运动干预"),
        ("每日监测血糖4次", "按时产检", "控制体重增长"),
        sex="F",
    ),
    Condition(
        "N18.9",
        "慢性肾脏病",
        2,
        (40, 90),
        (0.85, 0.15, 0),
        (("county", "SNK", 1),),
        (5, 9),
        0.5,
        ((T, "复查肾功能、电解质", 14),),
        ("纠正贫血、降压及保护肾功能治疗", "优质低蛋白饮食及降磷治疗", "评估透析指征"),
        ("优质低蛋白饮食", "避免使用肾毒性药物", "每月复查肾功能"),
    ),
    Condition(
        "K92.2",
        "消化道出血",
        2,
        (30, 90),
        (0.1, 0.6, 0.3),
        (("county", "XHNK", 1),),
        (5, 9),
        0.3,
        ((V, "复查血常规，观察大便颜色", 7),),
        ("胃镜下止血及抑酸治疗", "禁食、抑酸、补液及输血治疗", "奥美拉唑静滴后改口服"),
        ("避免辛辣刺激饮食", "停用非甾体抗炎药", "出现黑便、呕血立即就诊"),
    ),
    Condition(
        "C34.9",
        "肺恶性肿瘤",
        1.5,
        (45, 85),
        (0.8, 0.2, 0),
        (("tertiary", "ZLK", 0.7), ("tertiary", "XWK", 0.3)),
        (10, 21),
        0.5,
        ((V, "化疗后复查血常规、肝肾功能", 7), (X, "营养支持与疼痛评估", 21)),
        ("胸腔镜下肺叶切除术", "含铂双药方案化疗", "靶向药物治疗"),
        ("按期返院行下一周期治疗", "加强营养，预防感染", "疼痛加重时调整镇痛药物"),
    ),
    Condition(
        "N40",
        "前列腺增生",
        2,
        (55, 90),
        (0.9, 0.1, 0),
        (("county", "MNWK", 1),),
        (4, 8),
        0.2,
        ((V, "排尿情况及残余尿评估", 14),),
        ("经尿道前列腺电切术", "坦索罗辛联合非那雄胺治疗", "留置导尿后药物治疗"),
        ("多饮水，避免憋尿", "术后1个月内避免骑车", "定期复查PSA"),
        sex="M",
    ),
    Condition(
        "M51.2",
        "腰椎间盘突出",
        2,
        (30, 75),
        (0.95, 0.05, 0),
        (("tcm", "GSK", 0.5), ("county", "GK", 0.5)),
        (5, 10),
        0.3,
        ((R, "腰背肌功能锻炼指导", 7),),
        ("针灸、推拿及中药熏蒸治疗", "椎间孔镜下髓核摘除术", "卧床、牵引及脱水消肿治疗"),
        ("睡硬板床，避免久坐", "坚持腰背肌锻炼", "避免弯腰搬重物"),
    ),
)

REJECT_REASONS = (
    "本科室床位已满，建议转诊至市第一医院",
    "病情可在基层继续治疗，建议门诊随访",
    "转诊资料不全，请补充近期检查结果后重新提交",
    "该病种不属本科室收治范围，建议转其他科室",
)
CANCEL_REASONS = (
    "患者及家属拒绝转诊",
    "患者已自行前往其他医院就诊",
    "病情好转，暂不需要转诊",
    "患者外出务工，无法按期就诊",
)
NO_SHOW_REASONS = (
    "患者未按预约时间就诊，电话联系未果",
    "患者因家中有事未能前来，已告知重新转诊",
)
DOWN_REASONS = (
    "出院后回基层继续治疗与随访",
    "病情稳定，转回基层康复",
    "慢病管理，转回家庭医生团队",
)
COURSES = (
    "住院{days}天，病情好转",
    "经治疗症状明显缓解，住院{days}天",
    "治疗{days}天后各项指标平稳",
    "住院{days}天，生命体征平稳，准予出院",
)
HISTORIES = (
    "患者{age}岁，{text}病史，近{n}天症状加重，基层处理效果欠佳。",
    "{age}岁，因{text}于本院门诊就诊，{n}天来症状反复。",
    "{age}岁，既往体健，{n}天前出现相关症状，初步诊断{text}。",
)
REASONS = (
    "需上级医院进一步诊治",
    "基层医疗条件有限，需专科治疗",
    "病情加重，需住院治疗",
    "需完善检查明确诊断",
    "需手术治疗",
)
QUESTIONS = (
    "请协助明确下一步诊疗方案。",
    "是否需要上转？请给予治疗建议。",
    "请评估目前用药是否合理。",
    "请协助判读检查结果并指导治疗。",
)
RATING_COMMENTS = ("意见明确，指导性强", "响应及时，非常感谢", "建议实用，便于基层执行", "", "")
FOLLOW_UP_RESULTS = {
    V: (
        "患者一般情况可，血压{sbp}/{dbp}mmHg，心率{hr}次/分，继续当前方案。",
        "已上门随访，症状较出院时减轻，饮食睡眠可。",
        "门诊随访，无明显不适，已再次健康宣教。",
    ),
    T: (
        "检查结果较出院时改善，已告知患者。",
        "复查结果基本正常，继续观察。",
        "复查指标轻度异常，已调整用药并预约下次复查。",
    ),
    M: (
        "患者规律服药，无明显不良反应，剂量维持不变。",
        "偶有漏服，已再次宣教用药依从性。",
    ),
    R: (
        "康复训练按计划进行，肌力较前改善（{power}级）。",
        "可在辅助下行走，继续康复训练。",
    ),
    X: ("已完成评估，情况稳定。", "营养状况可，疼痛评分{pain}分，继续观察。"),
}


def anchor_time(today: datetime.date) -> datetime.datetime:
    """The "now" the demo counts back from (see the module docstring)."""
    now = timezone.now()
    if today < timezone.localdate(now):
        return timezone.make_aware(datetime.datetime.combine(today, datetime.time(18, 0)))
    return now.replace(second=0, microsecond=0)


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@contextlib.contextmanager
def historical_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let ``bulk_create`` keep the ``created_at`` / ``updated_at`` we set (a year back) instead of
    stamping the moment of the build. Only for fixture generation: restored on exit."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


# ---------------------------------------------------------------------------------------------
# The world the generator draws from


@dataclass(frozen=True)
class Place:
    """A sending or receiving site: an institution, maybe a department, and who acts there."""

    institution: Institution
    department: Department | None = None
    actors: tuple[Any, ...] = ()  # users acting there (demo accounts); none: an unnamed doctor

    def actor(self, rng: random.Random) -> Any:
        return rng.choice(self.actors) if self.actors else None


@dataclass
class World:
    """Institutions, departments, residents and accounts of a built demo county, indexed."""

    county_hospital: Institution
    tcm: Institution
    mch: Institution
    tertiary: Institution
    townships: list[Institution]
    villages: list[Institution]
    departments: dict[tuple[int, str], Department]
    residents_by_village: dict[int, list[tuple[int, str, int]]]  # (patient id, sex, age)
    at_county_hospital: list[tuple[int, str, int]]
    practitioners_by_department: dict[int, list[int]]
    practitioner_of_user: dict[int, int]
    actors: dict[tuple[int, int | None], list[Any]]  # (institution, department) → users
    now: datetime.datetime
    residents: int = 0
    _conditions_by_age: dict[tuple[str, int], list[tuple[Condition, float]]] = field(
        default_factory=dict
    )

    @classmethod
    def from_county(cls, county: Any, now: datetime.datetime | None = None) -> World:
        today = county.options.today
        now = now or anchor_time(today)
        village_of_division = {v.division_code: v.pk for v in county.villages}
        by_village: dict[int, list[tuple[int, str, int]]] = {}
        everyone: dict[int, tuple[int, str, int]] = {}
        for pk, sex, birth, division in Patient.objects.values_list(
            "id", "sex", "birth_date", "division_code"
        ).order_by("id"):
            age = (today - birth).days // 365 if birth else 50
            row = (pk, sex, age)
            everyone[pk] = row
            village = village_of_division.get(division)
            if village is not None:
                by_village.setdefault(village, []).append(row)
        at_county = sorted(
            PatientIdentifier.objects.filter(institution=county.county_hospital).values_list(
                "patient_id", flat=True
            )
        )
        by_department: dict[int, list[int]] = {}
        of_user: dict[int, int] = {}
        for pk, dept, user in Practitioner.objects.values_list(
            "id", "department_id", "user_id"
        ).order_by("id"):
            if dept:
                by_department.setdefault(dept, []).append(pk)
            if user:
                of_user[user] = pk
        actors: dict[tuple[int, int | None], list[Any]] = {}
        clinical = {"clinician", "department_head"}
        for username in sorted(county.accounts):
            user, role, institution = county.accounts[username]
            if role not in clinical:
                continue
            membership = user.memberships.first()
            key = (institution.pk, membership.department_id if membership else None)
            actors.setdefault(key, []).append(user)
        return cls(
            county_hospital=county.county_hospital,
            tcm=county.county_tcm,
            mch=county.county_mch,
            tertiary=county.tertiary,
            townships=list(county.townships),
            villages=list(county.villages),
            departments=dict(county.departments),
            residents_by_village=by_village,
            at_county_hospital=[everyone[pk] for pk in at_county if pk in everyone],
            practitioners_by_department=by_department,
            practitioner_of_user=of_user,
            actors=actors,
            now=now,
            residents=len(everyone),
        )

    def institution(self, place: str) -> Institution:
        return {
            "county": self.county_hospital,
            "tcm": self.tcm,
            "mch": self.mch,
            "tertiary": self.tertiary,
        }[place]

    def place(self, institution: Institution, code: str | None) -> Place:
        department = self.departments.get((institution.pk, code)) if code else None
        key = (institution.pk, department.pk if department else None)
        return Place(institution, department, tuple(self.actors.get(key, ())))

    def township_of(self, village: Institution) -> Institution:
        return next(t for t in self.townships if t.pk == village.parent_id)

    def practitioner(self, rng: random.Random, department: Department | None) -> int | None:
        staff = self.practitioners_by_department.get(department.pk) if department else None
        return rng.choice(staff) if staff else None


# ---------------------------------------------------------------------------------------------
# One item's life: the moves it makes, realised up to "now" with the escalations on the way


@dataclass
class Move:
    name: str
    target: str
    at: datetime.datetime
    side: str
    business_status: str = ""
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


class Step(NamedTuple):
    """One history row as written: the columns of a ``TransitionRecord`` without the item."""

    from_status: str
    to_status: str
    business_status: str
    name: str
    actor_id: int | None
    acting_institution_id: int | None
    side: str
    reason: str
    note: str
    at: datetime.datetime
    version: int
    escalation_level: int


HISTORY_COLUMNS = ("item_id", *Step._fields)
CARE_COLUMNS = ("patient_id", "institution_id", "reason", "source_type", "source_id", "starts_at",
                "ends_at")  # fmt: skip


@dataclass
class Life:
    """An item with the moves planned for it; ``realise`` applies those that happened by now."""

    item: Any
    created: Move
    moves: list[Move]
    requester_user: Any
    performer_user: Any
    history: list[Step] = field(default_factory=list)

    def realise(self, now: datetime.datetime) -> None:
        item, workflow = self.item, type(self.item).workflow
        first = self.created
        item.status, item.business_status, item.version = first.target, "", 1
        item.status_changed_at = item.created_at = item.updated_at = first.at
        item.due_at = workflow.due_at(item, first.target, first.at)
        item.escalation_level = 0
        self.history = [self._step(first, "", 1)]
        for move in self.moves:
            if move.at > now:
                break
            self._escalate_until(move.at)
            previous = item.status
            for name, value in move.changes.items():
                setattr(item, name, value)
            item.status, item.business_status = move.target, move.business_status
            item.version += 1
            item.status_changed_at = item.updated_at = move.at
            item.escalation_level = 0
            item.due_at = workflow.due_at(item, move.target, move.at)
            self.history.append(self._step(move, previous, item.version))
        self._escalate_until(now)

    def _escalate_until(self, until: datetime.datetime) -> None:
        """The rows ``escalate_overdue`` would have written while the item waited."""
        item, workflow = self.item, type(self.item).workflow
        while (
            item.due_at is not None
            and item.due_at < until
            and item.escalation_level < MAX_ESCALATION_LEVEL
        ):
            at = item.due_at
            item.escalation_level += 1
            item.due_at = at + workflow.escalation_step(item)
            item.updated_at = at
            self.history.append(
                Step(item.status, item.status, item.business_status, "escalate", None, None,
                     Side.SYSTEM, "", "", at, item.version, item.escalation_level)
            )  # fmt: skip

    def _step(self, move: Move, previous: str, version: int) -> Step:
        item = self.item
        if move.side == Side.REQUESTER:
            actor, institution = self.requester_user, item.requester_institution_id
        else:
            actor, institution = self.performer_user, item.performer_institution_id
        return Step(previous, move.target, move.business_status, move.name,
                    actor.pk if actor else None, institution, move.side, move.reason, "",
                    move.at, version, 0)  # fmt: skip


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Any]) -> int:
    """Plain multi-row INSERTs of rows held as tuples, for the most numerous generated rows
    (history, care relationships): ``bulk_create`` spends most of its time building and
    compiling model instances that fixture generation does not need. Datetimes are adapted as
    Django adapts them; every other column must already hold its database value."""
    if not rows:
        return 0
    ops = connection.ops
    timed = [
        n
        for n, name in enumerate(columns)
        if isinstance(model._meta.get_field(name), models.DateTimeField)
    ]
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(name) for name in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    limit = connection.features.max_query_params or 30_000
    chunk = max(1, min(1000, limit // len(columns)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            params: list[Any] = []
            for row in part:
                values = list(row)
                for n in timed:
                    if values[n] is not None:
                        values[n] = ops.adapt_datetimefield_value(values[n])
                params.extend(values)
            # Names come from the model's metadata, values are parameters.
            values_sql = ", ".join([one] * len(part))
            sql = f"INSERT INTO {table} ({names}) VALUES {values_sql}"  # noqa: S608
            cursor.execute(sql, params)
    return len(rows)


def insert_history(model: type[models.Model], lives: Sequence[Life]) -> int:
    return insert_rows(
        model, HISTORY_COLUMNS, [(life.item.pk, *step) for life in lives for step in life.history]
    )


def _office_time(rng: random.Random, day: datetime.date, start: int = 8, end: int = 17):
    minutes = rng.randrange(start * 60, end * 60)
    moment = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))
    return timezone.make_aware(moment)


def _after(rng: random.Random, at: datetime.datetime, low: float, high: float) -> datetime.datetime:
    """A moment between ``low`` and ``high`` hours after ``at`` (log-uniform: mostly early)."""
    hours = math.exp(rng.uniform(math.log(low), math.log(high)))
    return at + datetime.timedelta(hours=hours)


def _next_weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += DAY
    return day


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights=weights)[0]


def _fill(template: str, rng: random.Random, **values: Any) -> str:
    return template.format(
        sbp=rng.randint(118, 148),
        dbp=rng.randint(68, 92),
        hr=rng.randint(60, 90),
        power=rng.randint(3, 5),
        pain=rng.randint(1, 3),
        n=rng.randint(2, 14),
        **values,
    )


# ---------------------------------------------------------------------------------------------
# Referrals


@dataclass
class ReferralSpec:
    """What to generate: who refers whom for what, when, and (for showcase items) how it ends."""

    patient: tuple[int, str, int]
    condition: Condition
    requester: Place
    performer: Place
    urgency: str
    created_at: datetime.datetime
    fate: str = ""  # "" (drawn), completed, rejected, cancelled, no_show, or stuck:<status>
    booked: bool | None = None
    down: bool | None = None
    answered_after: datetime.timedelta | None = None


@dataclass
class Written:
    """Counts of rows written, for the build's progress and the benchmarks."""

    referrals: int = 0
    transitions: int = 0
    consultations: int = 0
    slots: int = 0
    follow_ups: int = 0
    care_relationships: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, other: Written) -> None:
        for name in ("referrals", "transitions", "consultations", "slots", "follow_ups"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.care_relationships += other.care_relationships
        for status, n in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + n


class ReferralGenerator:
    """Draws referral specs for a world and writes them, with everything that hangs off them."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng

    # -- drawing specs -------------------------------------------------------------------------

    def draw_time(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        rng = self.rng
        span = (end - start).total_seconds()
        while True:
            at = start + datetime.timedelta(seconds=rng.random() * span)
            local = timezone.localtime(at)
            if local.weekday() >= 5 and rng.random() < 0.6:
                continue  # fewer referrals at weekends
            if not 8 <= local.hour < 18 and rng.random() < 0.85:
                continue  # mostly in clinic hours
            return at

    def draw_condition(self, department_code: str | None = None) -> Condition:
        pool = [
            (c, c.weight)
            for c in CONDITIONS
            if department_code is None or any(code == department_code for _, code, _ in c.targets)
        ]
        return _pick(self.rng, pool or [(c, c.weight) for c in CONDITIONS])

    def draw_patient(self, condition: Condition, candidates: Sequence[tuple[int, str, int]]):
        rng = self.rng
        low, high = condition.ages
        for _ in range(30):
            row = rng.choice(candidates)
            if low <= row[2] <= high and (not condition.sex or row[1] == condition.sex):
                return row
        return rng.choice(candidates)

    def draw_spec(
        self, created_at: datetime.datetime, department: Department | None = None
    ) -> ReferralSpec:
        """An up-referral as the county sends them: from a township centre (or a village clinic)
        to a county hospital department, or from the county hospital to the tertiary hospital."""
        rng, world = self.rng, self.world
        condition = self.draw_condition(department.code if department else None)
        place, code = _pick(rng, [((p, c), w) for p, c, w in condition.targets])
        if department is not None:
            performer = world.place(department.institution, department.code)
        else:
            performer = None
        urgency = _pick(rng, list(zip(Urgency.values, condition.urgency, strict=True)))
        village = rng.choice(world.villages)
        residents = world.residents_by_village.get(village.pk) or next(
            iter(world.residents_by_village.values())
        )
        patient = self.draw_patient(condition, residents)
        if condition.child_target and patient[2] < 14 and department is None:
            place, code = condition.child_target
        target = performer.institution if performer else world.institution(place)
        roll = rng.random()
        if target == world.tertiary and roll < 0.6 and world.at_county_hospital:
            # Most tertiary referrals come through the county hospital's own department.
            patient = self.draw_patient(condition, world.at_county_hospital)
            requester = world.place(world.county_hospital, code if code != "ZLK" else "HXNK")
            if requester.department is None:
                requester = world.place(world.county_hospital, "XXG")
        elif roll < 0.12 and urgency == Urgency.ROUTINE:
            requester = world.place(village, None)
        else:
            requester = world.place(
                world.township_of(village), "QK" if rng.random() < 0.7 else "NK"
            )
        if performer is None:
            performer = world.place(target, code)
        return ReferralSpec(patient, condition, requester, performer, urgency, created_at)

    # -- planning one referral's life ----------------------------------------------------------

    def _fate(self, spec: ReferralSpec, booked: bool) -> str:
        if spec.fate:
            return spec.fate
        rng, now = self.rng, self.world.now
        age = now - spec.created_at
        roll = rng.random()
        if roll < SHARE_STUCK_RECENT:
            if age < 6 * DAY:
                return "stuck:requested"
            if 8 * DAY < age < 25 * DAY and not booked:
                return "stuck:accepted"
            if 35 * DAY < age < 70 * DAY:
                return "stuck:in-progress"
        roll = rng.random()
        if roll < SHARE_REJECTED:
            return "rejected"
        if roll < SHARE_REJECTED + SHARE_CANCELLED:
            return "cancelled"
        if booked and roll < SHARE_REJECTED + SHARE_CANCELLED + SHARE_NO_SHOW:
            return "no_show"
        return "completed"

    def _answer_time(self, spec: ReferralSpec, start: datetime.datetime) -> datetime.datetime:
        rng = self.rng
        if rng.random() < SHARE_SLOW_ANSWER and spec.urgency == Urgency.ROUTINE:
            return _after(rng, start, 26, 60)
        if spec.urgency == Urgency.EMERGENCY:
            return _after(rng, start, 2 / 60, 12 / 60)
        if spec.urgency == Urgency.URGENT:
            return _after(rng, start, 0.2, 3.5)
        return _after(rng, start, 0.5, 20)

    def plan_up(
        self, spec: ReferralSpec, item: Referral, performer_user: Any
    ) -> tuple[list[Move], Any]:
        """The moves of an up-referral, and its booked slot (or None)."""
        rng, world = self.rng, self.world
        t0 = spec.created_at
        moves: list[Move] = []
        booked = (
            spec.booked
            if spec.booked is not None
            else (
                spec.urgency == Urgency.ROUTINE
                and spec.performer.institution != world.tertiary
                and rng.random() < SHARE_BOOKED
            )
        )
        fate = self._fate(spec, booked)
        stuck = fate.removeprefix("stuck:") if fate.startswith("stuck:") else ""
        if stuck == "requested":
            return moves, None
        if stuck == "received":
            opened = _after(self.rng, t0, 0.1, 2)
            return [Move("receive", Status.RECEIVED, opened, Side.PERFORMER)], None
        answer = t0 + spec.answered_after if spec.answered_after else self._answer_time(spec, t0)
        source = Status.REQUESTED
        if spec.urgency != Urgency.EMERGENCY and rng.random() < SHARE_RECEIVED_FIRST:
            opened = t0 + (answer - t0) * rng.uniform(0.1, 0.6)
            moves.append(Move("receive", Status.RECEIVED, opened, Side.PERFORMER))
            source = Status.RECEIVED
        direct = "" if source == Status.RECEIVED else "_direct"
        if fate == "rejected":
            reason = rng.choice(REJECT_REASONS)
            moves.append(
                Move(f"reject{direct}", Status.REJECTED, answer, Side.PERFORMER, "", reason)
            )
            return moves, None
        if fate == "cancelled" and rng.random() < 0.5:
            at = t0 + (answer - t0) * rng.uniform(0.2, 0.9)
            moves = [m for m in moves if m.at < at]
            moves.append(
                Move("cancel", Status.CANCELLED, at, Side.REQUESTER, "", rng.choice(CANCEL_REASONS))
            )
            return moves, None
        slot = None
        changes: dict[str, Any] = {"owner": performer_user}
        if booked:
            day = _next_weekday(timezone.localdate(answer) + DAY * rng.randint(1, 6))
            starts = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(8, 0))
            ) + datetime.timedelta(minutes=30 * rng.randrange(8))
            slot = AppointmentSlot(
                external_id=random_uuid(rng),
                institution=item.performer_institution,
                department=item.performer_department,
                practitioner_id=item.requested_practitioner_id
                or world.practitioner(rng, item.performer_department),
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=30),
                referral=item,
                booked_at=answer,
                created_at=starts - 14 * DAY,
                updated_at=answer,
            )
            item._state.fields_cache["slot"] = slot
            arrival = starts + datetime.timedelta(minutes=rng.randint(-25, 15))
        elif spec.urgency == Urgency.EMERGENCY:
            arrival = t0 + datetime.timedelta(minutes=rng.randint(25, 90))
        elif spec.urgency == Urgency.URGENT:
            arrival = _after(rng, answer, 1, 6)
        else:
            arrival = _after(rng, answer, 6, 96)
        moves.append(
            Move(
                f"accept{direct}",
                Status.ACCEPTED,
                answer,
                Side.PERFORMER,
                "booked" if booked else "accepted",
                changes=changes,
            )
        )
        if fate == "cancelled":
            at = answer + (arrival - answer) * rng.uniform(0.2, 0.8)
            moves.append(
                Move("cancel", Status.CANCELLED, at, Side.REQUESTER, "", rng.choice(CANCEL_REASONS))
            )
            return moves, None  # cancelling releases the slot
        if fate == "no_show":
            at = _after(rng, slot.ends_at, 2, 20)
            reason = rng.choice(NO_SHOW_REASONS)
            moves.append(Move("no_show", Status.FAILED, at, Side.PERFORMER, "no-show", reason))
            return moves, slot
        if stuck == "accepted":
            return moves, slot
        moves.append(Move("start", Status.IN_PROGRESS, arrival, Side.PERFORMER, "arrived"))
        if stuck == "in-progress":
            return moves, slot
        low, high = spec.condition.stay
        day = timezone.localdate(arrival) + DAY * rng.randint(low, high)
        done = max(_office_time(rng, day, 9, 17), arrival + HOUR)
        summary = self.outcome_summary(spec, item, (done - arrival).days or 1)
        moves.append(
            Move(
                "complete",
                Status.COMPLETED,
                done,
                Side.PERFORMER,
                "outcome sent back",
                changes={"outcome_summary": summary, "outcome_at": done},
            )
        )
        return moves, slot

    def outcome_summary(self, spec: ReferralSpec, item: Referral, days: int) -> str:
        rng, c = self.rng, spec.condition
        course = rng.choice(COURSES).format(days=days)
        advice = "；".join(rng.sample(c.advice, k=min(2, len(c.advice))))
        return (
            f"患者因{c.text}入院，予{rng.choice(c.treatments)}，{course}。\n"
            f"出院诊断：{c.text}（{c.code}）。\n出院医嘱：{advice}。"
        )

    # -- writing -------------------------------------------------------------------------------

    def referral(self, spec: ReferralSpec) -> tuple[Referral, Life, Any]:
        rng, world = self.rng, self.world
        c = spec.condition
        age = spec.patient[2]
        item = Referral(
            external_id=random_uuid(rng),
            patient_id=spec.patient[0],
            direction=Direction.UP,
            urgency=spec.urgency,
            requester_institution=spec.requester.institution,
            requester_department=spec.requester.department,
            performer_institution=spec.performer.institution,
            performer_department=spec.performer.department,
            requested_practitioner_id=(
                world.practitioner(rng, spec.performer.department) if rng.random() < 0.3 else None
            ),
            reason=rng.choice(REASONS),
            diagnosis_code=c.code,
            diagnosis_text=c.text,
            history_summary=_fill(rng.choice(HISTORIES), rng, age=age, text=c.text),
        )
        requester_user, performer_user = spec.requester.actor(rng), spec.performer.actor(rng)
        item.requester = requester_user
        item._state.fields_cache["slot"] = None
        moves, slot = self.plan_up(spec, item, performer_user)
        life = Life(
            item,
            Move("create", Status.REQUESTED, spec.created_at, Side.REQUESTER),
            moves,
            requester_user,
            performer_user,
        )
        life.realise(world.now)
        if slot is not None and slot.booked_at > world.now:
            slot = None
        return item, life, slot

    def down_for(
        self, up: Referral, condition: Condition, *, send: bool = True, accepted: bool = False
    ) -> tuple[Referral, Life, list] | None:
        """The down-referral a discharge proposes: a draft, sent with its care plan, accepted by
        the referring site and followed item by item (each result closes part of the loop)."""
        rng, world = self.rng, self.world
        drafted = up.outcome_at
        if drafted is None or drafted > world.now:
            return None
        requester = Place(
            up.performer_institution,
            up.performer_department,
            tuple(world.actors.get((up.performer_institution_id, up.performer_department_id), ())),
        )
        performer = Place(
            up.requester_institution,
            up.requester_department,
            tuple(world.actors.get((up.requester_institution_id, up.requester_department_id), ())),
        )
        item = Referral(
            external_id=random_uuid(rng),
            patient_id=up.patient_id,
            direction=Direction.DOWN,
            urgency=Urgency.ROUTINE,
            requester_institution=requester.institution,
            requester_department=requester.department,
            performer_institution=performer.institution,
            performer_department=performer.department,
            reason=rng.choice(DOWN_REASONS),
            diagnosis_code=up.diagnosis_code,
            diagnosis_text=up.diagnosis_text,
            history_summary=up.outcome_summary,
            follows=up,
        )
        requester_user, performer_user = requester.actor(rng), performer.actor(rng)
        item.requester = requester_user
        item._state.fields_cache["slot"] = None
        sent = _after(rng, drafted, 0.5, 30)
        plan_day = timezone.localdate(sent)
        items = [
            FollowUpItem(
                external_id=random_uuid(rng),
                referral=item,
                kind=kind,
                description=what,
                due_on=plan_day + DAY * days,
                created_at=sent,
                updated_at=sent,
            )
            for kind, what, days in condition.plan
        ]
        item.care_plan = "\n".join(
            f"{n}. {f.description}（{f.due_on:%m月%d日}前）" for n, f in enumerate(items, 1)
        )
        moves = [Move("submit", Status.REQUESTED, sent, Side.REQUESTER)] if send else []
        # ``accepted``: a showcase down-referral the receiving site takes on (never cancelled or
        # rejected), so the demo's township login always has a care plan under way.
        roll = rng.random() if send and not accepted else 1.0
        answer = _after(rng, sent, 1, 30)
        if roll < 0.02:
            moves.append(
                Move(
                    "cancel",
                    Status.CANCELLED,
                    _after(rng, sent, 0.2, 1),
                    Side.REQUESTER,
                    "",
                    "患者要求继续在上级医院康复",
                )
            )
        elif roll < 0.04:
            moves.append(
                Move(
                    "reject_direct",
                    Status.REJECTED,
                    answer,
                    Side.PERFORMER,
                    "",
                    "患者已迁出本辖区，建议转至居住地卫生院",
                )
            )
        elif send:
            moves.append(
                Move(
                    "accept_direct",
                    Status.ACCEPTED,
                    answer,
                    Side.PERFORMER,
                    "accepted",
                    changes={"owner": performer_user},
                )
            )
            lost = (
                len(items) if rng.random() >= SHARE_LOST_TO_FOLLOW_UP else rng.randrange(len(items))
            )
            last = answer
            lines = []
            for n, follow_up in enumerate(items[:lost]):
                day = follow_up.due_on + DAY * rng.randint(-1, 2)
                done = max(_office_time(rng, day, 9, 17), last + HOUR)
                last = done
                template = rng.choice(FOLLOW_UP_RESULTS[follow_up.kind])
                follow_up.done_at, follow_up.updated_at = done, done
                follow_up.done_by = performer_user
                follow_up.result = _fill(template, rng)
                lines.append(
                    f"{follow_up.due_on:%Y-%m-%d} {follow_up.description}：{follow_up.result}"
                )
                if n == 0:
                    moves.append(
                        Move("start", Status.IN_PROGRESS, done, Side.PERFORMER, "plan under way")
                    )
                if n == len(items) - 1:
                    summary = "随访计划已完成。\n" + "\n".join(lines)
                    moves.append(
                        Move(
                            "complete",
                            Status.COMPLETED,
                            done,
                            Side.PERFORMER,
                            "outcome sent back",
                            changes={"outcome_summary": summary, "outcome_at": done},
                        )
                    )
        life = Life(
            item,
            Move("create", Status.DRAFT, drafted, Side.REQUESTER),
            moves,
            requester_user,
            performer_user,
        )
        life.realise(world.now)
        for follow_up in items:
            if follow_up.done_at and follow_up.done_at > world.now:
                follow_up.done_at, follow_up.done_by, follow_up.result = None, None, ""
                follow_up.updated_at = follow_up.created_at
        if item.status == Status.DRAFT:
            return item, life, []  # the plan is added when the draft is sent
        return item, life, items

    def write(self, specs: Sequence[ReferralSpec], *, downs: bool = True) -> Written:
        """Generate and write the referrals of ``specs`` (plus their down-referrals) in batches."""
        written = Written()
        for start in range(0, len(specs), BATCH):
            written.add(self._write_batch(specs[start : start + BATCH], downs))
        return written

    def _write_batch(self, specs: Sequence[ReferralSpec], downs: bool) -> Written:
        rng, now = self.rng, self.world.now
        ups: list[tuple[ReferralSpec, Referral, Life]] = []
        slots: list[AppointmentSlot] = []
        milestones: list[GreenChannelEvent] = []
        for spec in specs:
            item, life, slot = self.referral(spec)
            if item.status == Status.COMPLETED and rng.random() < SHARE_OUTCOME_SEEN:
                seen = _after(rng, item.outcome_at, 0.3, 72)
                item.outcome_seen_at = seen if seen <= now else None
            ups.append((spec, item, life))
            if slot is not None:
                slots.append(slot)
            if item.urgency == Urgency.EMERGENCY:
                milestones += self._milestones(item, life)
        with historical_timestamps(Referral, AppointmentSlot, FollowUpItem):
            Referral.objects.bulk_create([item for _, item, _ in ups])
            lives = [life for _, _, life in ups]
            follow_ups: list[FollowUpItem] = []
            if downs:
                down_items = []
                for spec, item, _ in ups:
                    if item.status != Status.COMPLETED:
                        continue
                    wanted = spec.down
                    if wanted is None:
                        wanted = rng.random() < spec.condition.down_share
                    # A discharge proposes a down-referral; a recent one not needed is still an
                    # unsent draft (older ones the demo leaves out).
                    recent = now - item.outcome_at < 14 * DAY and rng.random() < 0.5
                    if not (wanted or recent):
                        continue
                    made = self.down_for(
                        item, spec.condition, send=wanted, accepted=spec.down is True
                    )
                    if made is None:
                        continue
                    down, life, plan = made
                    down_items.append(down)
                    lives.append(life)
                    follow_ups += plan
                Referral.objects.bulk_create(down_items)
            AppointmentSlot.objects.bulk_create(slots)
            FollowUpItem.objects.bulk_create(follow_ups)
        GreenChannelEvent.objects.bulk_create(milestones)
        history = insert_history(ReferralTransition, lives)
        care = insert_rows(
            CareRelationship,
            CARE_COLUMNS,
            [c for life in lives if (c := self._care(life)) is not None],
        )
        by_status: dict[str, int] = {}
        for life in lives:
            by_status[life.item.status] = by_status.get(life.item.status, 0) + 1
        return Written(
            referrals=len(lives),
            transitions=history,
            slots=len(slots),
            follow_ups=len(follow_ups),
            care_relationships=care,
            by_status=by_status,
        )

    def _milestones(self, item: Referral, life: Life) -> list[GreenChannelEvent]:
        rng, now = self.rng, self.world.now
        t0 = item.created_at
        events = [(Milestone.DECISION, t0, life.requester_user)]
        departure = t0 + datetime.timedelta(minutes=rng.randint(5, 25))
        if departure <= now and item.status != Status.REJECTED:
            events.append((Milestone.DEPARTURE, departure, life.requester_user))
        arrived = next((r.at for r in life.history if r.name == "start"), None)
        if arrived is not None:
            events.append((Milestone.ARRIVAL, arrived, life.performer_user))
            treated = arrived + datetime.timedelta(minutes=rng.randint(10, 50))
            if treated <= now:
                events.append((Milestone.TREATMENT_START, treated, life.performer_user))
        return [
            GreenChannelEvent(referral=item, milestone=m, at=at, recorded_by=user)
            for m, at, user in events
        ]

    @staticmethod
    def _care(life: Life) -> tuple | None:
        item = life.item
        sent = next((r.at for r in life.history if r.to_status == Status.REQUESTED), None)
        if sent is None:
            return None  # a draft has not been shared yet
        ends = None
        if item.status in {Status.COMPLETED, Status.FAILED}:
            ends = item.status_changed_at + REFERRAL_ACCESS_AFTER
        elif item.is_closed:
            ends = item.status_changed_at
        reason = f"来自{item.requester_institution.name}的转诊"
        return (item.patient_id, item.performer_institution_id, reason, "referrals.referral",
                str(item.external_id), sent, ends)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Consultations


class ConsultationGenerator:
    """Remote consultations and MDTs: requested, scheduled, signed in session, rated."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.referrals = ReferralGenerator(world, rng)

    def draw(self, created_at: datetime.datetime) -> dict[str, Any]:
        spec = self.referrals.draw_spec(created_at)
        return {"spec": spec, "mdt": self.rng.random() < SHARE_MDT}

    def write(self, drawn: Sequence[dict[str, Any]], fates: Sequence[str] = ()) -> Written:
        items, lives, invitees, care = [], [], [], []
        for n, entry in enumerate(drawn):
            spec: ReferralSpec = entry["spec"]
            fate = fates[n] if n < len(fates) else ""
            item, life, parties = self._one(spec, entry["mdt"], fate)
            items.append(item)
            lives.append(life)
            invitees += parties
            care += self._care(item, life, parties)
        with historical_timestamps(Consultation):
            Consultation.objects.bulk_create(items)
        ConsultationInvitee.objects.bulk_create(invitees)
        history = insert_history(ConsultationTransition, lives)
        insert_rows(CareRelationship, CARE_COLUMNS, care)
        by_status: dict[str, int] = {}
        for item in items:
            by_status[item.status] = by_status.get(item.status, 0) + 1
        return Written(
            consultations=len(items),
            transitions=history,
            care_relationships=len(care),
            by_status=by_status,
        )

    def _one(self, spec: ReferralSpec, mdt: bool, fate: str):
        rng, world = self.rng, self.world
        c = spec.condition
        t0 = spec.created_at
        urgency = Urgency.URGENT if spec.urgency != Urgency.ROUTINE else Urgency.ROUTINE
        item = Consultation(
            external_id=random_uuid(rng),
            patient_id=spec.patient[0],
            kind=ConsultationKind.MDT if mdt else ConsultationKind.REMOTE,
            urgency=urgency,
            question=f"{c.text}（{c.code}）：{rng.choice(QUESTIONS)}",
            clinical_summary=_fill(rng.choice(HISTORIES), rng, age=spec.patient[2], text=c.text),
            requester_institution=spec.requester.institution,
            performer_institution=spec.performer.institution,
            performer_department=spec.performer.department,
        )
        requester_user, performer_user = spec.requester.actor(rng), spec.performer.actor(rng)
        item.requester = requester_user
        parties = [
            ConsultationInvitee(
                consultation=item,
                institution=spec.performer.institution,
                department=spec.performer.department,
                practitioner_id=world.practitioner(rng, spec.performer.department),
            )
        ]
        if mdt:
            for code in rng.sample(["XXG", "SJNK", "HXNK", "NFM", "KFK", "YXK", "PWK"], k=2):
                department = world.departments.get((spec.performer.institution.pk, code))
                if department and department != spec.performer.department:
                    parties.append(
                        ConsultationInvitee(
                            consultation=item,
                            institution=spec.performer.institution,
                            department=department,
                            practitioner_id=world.practitioner(rng, department),
                        )
                    )
        moves: list[Move] = []
        roll = rng.random()
        fate = fate or (
            "stuck:requested"
            if roll < SHARE_STUCK_RECENT and world.now - t0 < 5 * DAY
            else "rejected"
            if roll < 0.07
            else "cancelled"
            if roll < 0.11
            else "completed"
        )
        if fate == "stuck:requested":
            pass
        elif fate == "rejected":
            answer = self.referrals._answer_time(spec, t0)
            moves.append(
                Move(
                    "reject_direct",
                    Status.REJECTED,
                    answer,
                    Side.PERFORMER,
                    "",
                    "建议直接转诊至专科门诊就诊",
                )
            )
        else:
            answer = self.referrals._answer_time(spec, t0)
            if urgency == Urgency.URGENT:
                scheduled = _after(rng, answer, 1, 6)
            else:
                day = _next_weekday(timezone.localdate(answer) + DAY * rng.randint(1, 2))
                scheduled = max(_office_time(rng, day, 14, 17), answer + HOUR)
            moves.append(
                Move(
                    "accept_direct",
                    Status.ACCEPTED,
                    answer,
                    Side.PERFORMER,
                    "scheduled",
                    changes={"scheduled_at": scheduled, "owner": performer_user},
                )
            )
            if fate == "cancelled":
                at = answer + (scheduled - answer) * rng.uniform(0.2, 0.8)
                moves.append(
                    Move(
                        "cancel",
                        Status.CANCELLED,
                        at,
                        Side.REQUESTER,
                        "",
                        "患者病情变化，已直接上转",
                    )
                )
            else:
                signed = scheduled + datetime.timedelta(minutes=rng.randint(30, 90))
                signer = (
                    world.practitioner_of_user.get(getattr(performer_user, "pk", None))
                    or parties[0].practitioner_id
                )
                advice = "；".join(rng.sample(c.advice, k=2))
                opinion = (
                    f"同意{c.text}诊断。建议：{rng.choice(c.treatments)}；{advice}。"
                    "如病情变化，及时上转。"
                )
                moves.append(
                    Move("start", Status.IN_PROGRESS, signed, Side.PERFORMER, "in session")
                )
                moves.append(
                    Move(
                        "complete",
                        Status.COMPLETED,
                        signed,
                        Side.PERFORMER,
                        "opinion signed",
                        changes={"opinion": opinion, "signed_by_id": signer, "signed_at": signed},
                    )
                )
                for party in parties[1:]:
                    party.opinion = f"{party.department.name}意见：{rng.choice(c.advice)}。"
                    party.contributed_at = signed - datetime.timedelta(minutes=rng.randint(5, 25))
        life = Life(
            item,
            Move("create", Status.REQUESTED, t0, Side.REQUESTER),
            moves,
            requester_user,
            performer_user,
        )
        life.realise(world.now)
        if item.status == Status.COMPLETED and rng.random() < SHARE_RATED:
            rated = _after(rng, item.signed_at, 1, 96)
            if rated <= world.now:
                item.rating = _pick(rng, [(5, 0.6), (4, 0.3), (3, 0.08), (2, 0.02)])
                item.rating_comment = rng.choice(RATING_COMMENTS)
                item.rated_at = item.updated_at = rated
                item.business_status = "rated"
        for party in parties[1:]:
            if party.contributed_at and item.status != Status.COMPLETED:
                party.opinion, party.contributed_at = "", None
        return item, life, parties

    @staticmethod
    def _care(item: Consultation, life: Life, parties) -> list[tuple]:
        ends = None
        if item.status == Status.COMPLETED:
            ends = item.status_changed_at + CONSULTATION_ACCESS_AFTER
        elif item.is_closed:
            ends = item.status_changed_at
        institutions = sorted({p.institution_id for p in parties})
        return [
            (
                item.patient_id,
                institution,
                f"{item.requester_institution.name}发起的会诊",
                "referrals.consultation",
                str(item.external_id),
                item.created_at,
                ends,
            )
            for institution in institutions
        ]


# ---------------------------------------------------------------------------------------------
# Entry points


def referrals_for_a_year(
    world: World, rng: random.Random, count: int, *, department: Department | None = None
) -> list[ReferralSpec]:
    """``count`` up-referral specs spread over the year before ``world.now`` (oldest first)."""
    generator = ReferralGenerator(world, rng)
    times = sorted(generator.draw_time(world.now - YEAR, world.now) for _ in range(count))
    return [generator.draw_spec(at, department) for at in times]


def add_referrals(
    county: Any,
    count: int,
    *,
    department: Department | None = None,
    seed: int = 1,
    downs: bool = True,
    progress: Any = None,
) -> Written:
    """Add about ``count`` referrals over the past year to a built demo county, quickly: the
    up-referrals and (with ``downs``) the down-referrals their discharges send back.

    With ``department``, every up-referral goes to that department (the benchmark's measured
    department); otherwise they spread over the county as the demo's do. Written in batches so
    that memory stays flat; ``progress(written)`` after each batch.
    """
    world = World.from_county(county)
    rng = random.Random(seed)
    generator = ReferralGenerator(world, rng)
    total = Written()
    # Measured: about 0.38 down-referrals (sent or drafted) per up-referral.
    per_up = 1.38 if downs and department is None else 1.0
    ups = max(1, int(count / per_up))
    chunk = BATCH * 10
    for start in range(0, ups, chunk):
        specs = referrals_for_a_year(world, rng, min(chunk, ups - start), department=department)
        total.add(generator.write(specs, downs=downs))
        if progress is not None:
            progress(total)
    return total
