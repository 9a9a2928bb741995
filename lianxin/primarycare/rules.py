"""Family-doctor rules as data, each with its source.

Sources:
- 《国家基本公共卫生服务规范（第三版）》(原国家卫生计生委, 国卫基层发〔2017〕13号), cited below as
  "规范(第三版)" with the part: 老年人健康管理服务规范, 0～6岁儿童健康管理服务规范, 孕产妇健康管理
  服务规范, 高血压患者健康管理服务规范, 2型糖尿病患者健康管理服务规范, 严重精神障碍患者管理服务规范,
  肺结核患者健康管理服务规范. The follow-up counts, targets and referral triggers below are those
  parts' "服务内容" (随访评估, 分类干预) and "工作指标".
- 《关于推进家庭医生签约服务的指导意见》(国医改办发〔2016〕1号): contracts for one year (一年一签),
  key populations first, basic and personalised (paid) packages.
- 《关于推进家庭医生签约服务高质量发展的指导意见》(国卫基层发〔2022〕10号): teams led by a family
  doctor with nurses, public-health staff and village doctors; county specialists may join.
- The 2024 county medical community monitoring indicator "县域内慢性病健康管理人群住院率"
  (《紧密型县域医疗卫生共同体监测指标体系（2024版）》, 国卫办基层发〔2024〕号 annex).
Where a text sets no number, the value is our policy and says so.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

GUIDE = "规范(第三版)"


class Population(models.TextChoices):
    """Key populations (重点人群) the basic public health service manages (规范(第三版))."""

    ELDERLY = "elderly", _("Aged 65 or more")
    CHILD = "child", _("Child aged 0-6")
    PREGNANT = "pregnant", _("Pregnant or postpartum woman")
    HYPERTENSION = "hypertension", _("Hypertension")
    DIABETES = "diabetes", _("Type-2 diabetes")
    SEVERE_MENTAL = "severe_mental", _("Severe mental disorder")
    TUBERCULOSIS = "tuberculosis", _("Pulmonary tuberculosis")


@dataclass(frozen=True)
class PopulationRule:
    population: str
    source: str
    ages: tuple[int, int | None] | None = None  # from the registry: age in whole years
    icd10_prefixes: tuple[str, ...] = ()  # from diagnoses
    # A follow-up programme: face-to-face visits a year and the usual interval between them.
    visits_per_year: int = 0
    interval_days: int = 0


POPULATION_RULES: dict[str, PopulationRule] = {
    r.population: r
    for r in (
        PopulationRule(
            Population.ELDERLY,
            f"{GUIDE} 老年人健康管理服务规范: 辖区内65岁及以上常住居民, 每年1次健康管理服务",
            ages=(65, None),
            visits_per_year=1,
            interval_days=365,
        ),
        PopulationRule(
            Population.CHILD,
            f"{GUIDE} 0～6岁儿童健康管理服务规范: 辖区内常住的0～6岁儿童",
            ages=(0, 6),
        ),
        PopulationRule(
            Population.PREGNANT,
            f"{GUIDE} 孕产妇健康管理服务规范: 孕早期至产后42天; Z33-Z39 及 O 章诊断",
            icd10_prefixes=("O", "Z33", "Z34", "Z35", "Z36", "Z39"),
        ),
        PopulationRule(
            Population.HYPERTENSION,
            f"{GUIDE} 高血压患者健康管理服务规范: 辖区内35岁及以上常住居民中原发性高血压患者; "
            "每年提供至少4次面对面的随访",
            icd10_prefixes=("I10", "I11", "I12", "I13", "I15"),
            visits_per_year=4,
            interval_days=90,
        ),
        PopulationRule(
            Population.DIABETES,
            f"{GUIDE} 2型糖尿病患者健康管理服务规范: 辖区内35岁及以上常住居民中2型糖尿病患者; "
            "每年提供4次免费空腹血糖检测, 至少进行4次面对面随访",
            icd10_prefixes=("E11",),
            visits_per_year=4,
            interval_days=90,
        ),
        PopulationRule(
            Population.SEVERE_MENTAL,
            f"{GUIDE} 严重精神障碍患者管理服务规范: 精神分裂症、分裂情感性障碍、偏执性精神病、双相"
            "情感障碍、癫痫所致精神障碍、精神发育迟滞伴发精神障碍; 每年至少随访4次",
            icd10_prefixes=("F20", "F25", "F22", "F31", "F06", "F70", "F71", "F72", "F73"),
            visits_per_year=4,
            interval_days=90,
        ),
        PopulationRule(
            Population.TUBERCULOSIS,
            f"{GUIDE} 肺结核患者健康管理服务规范: 继续期每月随访1次",
            icd10_prefixes=("A15", "A16"),
            visits_per_year=12,
            interval_days=30,
        ),
    )
}
# The programmes whose visits record blood pressure and glucose, classified at each visit.
CHRONIC = (Population.HYPERTENSION, Population.DIABETES)


# --- Scheduled programmes: visits at set ages or weeks of pregnancy ----------------------------


@dataclass(frozen=True)
class ScheduledVisit:
    """One visit of a schedule, due in a window of days counted from the programme's anchor
    (the child's birth date; the pregnant woman's last menstrual period)."""

    code: str
    label: str  # a lazy translation; with ``n``, a template "%(n)d" filled when shown
    starts: int  # the window opens this many days after the anchor
    due: int  # and the visit is due by this day (the window's last day)
    source: str
    n: int | None = None

    @property
    def title(self) -> str:
        return str(self.label) % {"n": self.n} if self.n is not None else str(self.label)


def _months(n: int) -> int:
    return round(n * 30.44)


CHILD_GUIDE = f"{GUIDE} 0～6岁儿童健康管理服务规范"
PREGNANCY_GUIDE = f"{GUIDE} 孕产妇健康管理服务规范"
# The spec gives the infant check-ups as "3、6、8、12、18、24、30、36月龄时" and the preschool
# ones as "每年一次"; how long after that age a check-up still counts as on time is our policy:
# a month for the infant check-ups, three months after the birthday for the yearly ones.
INFANT_GRACE_DAYS = 30
PRESCHOOL_GRACE_DAYS = 90
# Until a delivery is recorded, the postpartum visits are reckoned from the expected date of
# delivery, last menstrual period + 280 days (Naegele's rule): our approximation.
TERM_DAYS = 280

SCHEDULES: dict[str, tuple[ScheduledVisit, ...]] = {
    Population.CHILD: (
        ScheduledVisit(
            "newborn_home",
            _("Newborn home visit"),
            0,
            7,
            f"{CHILD_GUIDE} 新生儿家庭访视: 新生儿出院后1周内, 医务人员到新生儿家中进行",
        ),
        ScheduledVisit(
            "newborn_month",
            _("Newborn check at one month"),
            28,
            30,
            f"{CHILD_GUIDE} 新生儿满月健康管理: 新生儿出生后28～30天",
        ),
        *(
            ScheduledVisit(
                f"infant_{m}m",
                _("Check-up at %(n)d months"),
                _months(m),
                _months(m) + INFANT_GRACE_DAYS,
                f"{CHILD_GUIDE} 婴幼儿健康管理: 3、6、8、12、18、24、30、36月龄时, 共8次",
                n=m,
            )
            for m in (3, 6, 8, 12, 18, 24, 30, 36)
        ),
        *(
            ScheduledVisit(
                f"preschool_{y}y",
                _("Yearly check-up at %(n)d years"),
                round(y * 365.25),
                round(y * 365.25) + PRESCHOOL_GRACE_DAYS,
                f"{CHILD_GUIDE} 学龄前儿童健康管理: 为4～6岁儿童每年提供一次健康管理服务",
                n=y,
            )
            for y in (4, 5, 6)
        ),
    ),
    Population.PREGNANT: (
        ScheduledVisit(
            "first_trimester",
            _("First-trimester visit (before 13 weeks)"),
            0,
            13 * 7 - 1,
            f"{PREGNANCY_GUIDE} 孕早期健康管理: 孕13周前为孕妇建立《母子健康手册》, "
            "进行第1次产前检查",
        ),
        ScheduledVisit(
            "weeks_16_20",
            _("Second-trimester visit (16-20 weeks)"),
            16 * 7,
            21 * 7 - 1,
            f"{PREGNANCY_GUIDE} 孕中期健康管理: 孕16～20周、21～24周各进行1次随访",
        ),
        ScheduledVisit(
            "weeks_21_24",
            _("Second-trimester visit (21-24 weeks)"),
            21 * 7,
            25 * 7 - 1,
            f"{PREGNANCY_GUIDE} 孕中期健康管理: 孕16～20周、21～24周各进行1次随访",
        ),
        ScheduledVisit(
            "weeks_28_36",
            _("Third-trimester visit (28-36 weeks)"),
            28 * 7,
            37 * 7 - 1,
            f"{PREGNANCY_GUIDE} 孕晚期健康管理: 孕28～36周、37～40周各进行1次随访",
        ),
        ScheduledVisit(
            "weeks_37_40",
            _("Third-trimester visit (37-40 weeks)"),
            37 * 7,
            41 * 7 - 1,
            f"{PREGNANCY_GUIDE} 孕晚期健康管理: 孕28～36周、37～40周各进行1次随访",
        ),
        ScheduledVisit(
            "postpartum_visit",
            _("Postpartum home visit (3-7 days after delivery)"),
            TERM_DAYS + 3,
            TERM_DAYS + 7,
            f"{PREGNANCY_GUIDE} 产后访视: 于产妇出院后1周内到产妇家中进行产后访视",
        ),
        ScheduledVisit(
            "postpartum_42",
            _("Postpartum check at 42 days"),
            TERM_DAYS + 42,
            TERM_DAYS + 49,
            f"{PREGNANCY_GUIDE} 产后42天健康检查",
        ),
    ),
}
# What the visits of a scheduled programme measure (the specs' 服务内容): a child's weight and
# length or height; a pregnant woman's blood pressure and weight.
SCHEDULE_MEASURES: dict[str, tuple[str, ...]] = {
    Population.CHILD: ("weight_kg", "height_cm"),
    Population.PREGNANT: ("systolic", "weight_kg"),
}


def population_for_code(code: str) -> str | None:
    """The key population an ICD-10 code puts a patient in (the first rule that matches)."""
    code = (code or "").upper()
    for rule in POPULATION_RULES.values():
        if any(code.startswith(p) for p in rule.icd10_prefixes):
            return rule.population
    return None


def age_populations(birth_date: datetime.date, on: datetime.date) -> list[str]:
    years = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    out = []
    for rule in POPULATION_RULES.values():
        if rule.ages is None:
            continue
        low, high = rule.ages
        if years >= low and (high is None or years <= high):
            out.append(rule.population)
    return out


# --- Contracts ---------------------------------------------------------------------------------

# 一年一签 (国医改办发〔2016〕1号): a contract runs a year unless the package says otherwise.
CONTRACT_MONTHS = 12
# A contract may be renewed from this many days before it ends (our policy).
RENEW_FROM_DAYS_BEFORE_END = 60


class PackageKind(models.TextChoices):
    BASIC = "basic", _("Basic package")
    PAID = "paid", _("Personalised (paid) package")


class ConsentMethod(models.TextChoices):
    SIGNATURE = "signature", _("Signed on paper")
    ELECTRONIC = "electronic", _("Signed electronically")
    FINGERPRINT = "fingerprint", _("Fingerprint")
    GUARDIAN = "guardian", _("Signed by a guardian or family member")


class TerminationReason(models.TextChoices):
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")
    RESIDENT_REQUEST = "request", _("At the resident's request")
    CHANGED_TEAM = "changed_team", _("Changed to another team")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class PackageItemSpec:
    name: str
    times_per_year: int


@dataclass(frozen=True)
class PackageSpec:
    code: str
    name: str
    kind: str
    fee: Decimal  # yuan a year paid by the resident (after the basic public health funding)
    populations: tuple[str, ...]
    items: tuple[PackageItemSpec, ...]
    source: str


# The default packages a county starts from (service contents after 规范(第三版); fees are the
# demo county's price list, our data — a county sets its own in the package catalogue).
DEFAULT_PACKAGES: tuple[PackageSpec, ...] = (
    PackageSpec(
        "BASIC",
        "基础包",
        PackageKind.BASIC,
        Decimal("0"),
        (),
        (
            PackageItemSpec("建立/更新居民健康档案", 1),
            PackageItemSpec("健康教育与咨询", 4),
            PackageItemSpec("预约转诊、优先就诊", 0),
        ),
        "国医改办发〔2016〕1号: 基本医疗、公共卫生和约定的健康管理服务",
    ),
    PackageSpec(
        "CHRONIC",
        "慢病管理包",
        PackageKind.PAID,
        Decimal("30"),
        (Population.HYPERTENSION, Population.DIABETES),
        (
            PackageItemSpec("面对面随访(测血压、血糖、体重, 用药与生活方式指导)", 4),
            PackageItemSpec("空腹血糖检测", 4),
            PackageItemSpec("年度健康体检", 1),
        ),
        f"{GUIDE} 高血压/2型糖尿病患者健康管理服务规范",
    ),
    PackageSpec(
        "ELDERLY",
        "老年人健康管理包",
        PackageKind.PAID,
        Decimal("20"),
        (Population.ELDERLY,),
        (
            PackageItemSpec("生活方式和健康状况评估", 1),
            PackageItemSpec("体格检查与辅助检查(血常规、尿常规、肝肾功能、血脂、心电图、B超)", 1),
            PackageItemSpec("中医体质辨识", 1),
        ),
        f"{GUIDE} 老年人健康管理服务规范",
    ),
    PackageSpec(
        "MATERNAL_CHILD",
        "母婴健康包",
        PackageKind.PAID,
        Decimal("40"),
        (Population.PREGNANT, Population.CHILD),
        (
            PackageItemSpec("孕期健康管理与产后访视", 2),
            PackageItemSpec("新生儿家庭访视与儿童健康检查", 4),
        ),
        f"{GUIDE} 孕产妇/0～6岁儿童健康管理服务规范",
    ),
)


# --- Teams -------------------------------------------------------------------------------------


class TeamRole(models.TextChoices):
    """Members of a family-doctor team (国卫基层发〔2022〕10号)."""

    LEAD = "lead", _("Lead family doctor")
    DOCTOR = "doctor", _("Family doctor")
    NURSE = "nurse", _("Nurse")
    PUBLIC_HEALTH = "public_health", _("Public-health staff")
    VILLAGE_DOCTOR = "village_doctor", _("Village doctor")
    SPECIALIST = "specialist", _("County specialist")


# --- Follow-up visits --------------------------------------------------------------------------


class VisitMode(models.TextChoices):
    CLINIC = "clinic", _("At the clinic")
    HOME = "home", _("Home visit")
    PHONE = "phone", _("By phone")


# 规范(第三版): the four yearly follow-ups are face to face (门诊就诊或家庭访视); a phone
# call does not count towards them.
FACE_TO_FACE = frozenset({VisitMode.CLINIC, VisitMode.HOME})


class Control(models.TextChoices):
    """The classification at each visit (规范(第三版) 高血压/2型糖尿病 "分类干预")."""

    CONTROLLED = "controlled", _("Controlled (控制满意)")
    UNCONTROLLED = "uncontrolled", _("Not controlled (控制不满意)")
    ADVERSE = "adverse", _("Adverse drug reaction")
    COMPLICATION = "complication", _("New or worse complication")


class Adherence(models.TextChoices):
    REGULAR = "regular", _("Regular")
    INTERMITTENT = "intermittent", _("Intermittent")
    NONE = "none", _("Not taking")


# 规范(第三版) 高血压: 血压控制满意 = 收缩压<140 且 舒张压<90 mmHg (工作指标 "血压达标").
BP_TARGET = (140, 90)
# 规范(第三版) 2型糖尿病: 空腹血糖值<7.0 mmol/L 为控制满意 (工作指标 "血糖达标").
FASTING_GLUCOSE_TARGET = Decimal("7.0")
# Next visit: controlled → in 3 months; first time not controlled → within 2 weeks; twice in a row
# not controlled, an adverse reaction or a complication → refer and follow up within 2 weeks.
NEXT_VISIT_CONTROLLED = datetime.timedelta(days=90)
NEXT_VISIT_UNCONTROLLED = datetime.timedelta(days=14)


@dataclass(frozen=True)
class Trigger:
    """A finding at a visit that calls for an urgent up-referral (紧急转诊)."""

    code: str
    label: str
    source: str


# 规范(第三版) 高血压 随访评估 1: "如出现收缩压≥180mmHg和(或)舒张压≥110mmHg; 意识改变、剧烈头痛或
# 头晕、恶心呕吐、视力模糊、眼痛、心悸、胸闷、喘憋不能平卧及处于妊娠期或哺乳期同时血压高于正常等
# 危急情况之一, 或存在不能处理的其他疾病时, 须在处理后紧急转诊"; 2型糖尿病 随访评估 1:
# "血糖≥16.7mmol/L或血糖≤3.9mmol/L; 收缩压≥180mmHg和(或)舒张压≥110mmHg;
# 意识或行为改变、呼气有烂苹果样丙酮味、心悸、出汗、食欲减退、恶心、呕吐、多饮、多尿、
# 腹痛、有深大呼吸、皮肤潮红; 持续性心动过速(心率超过100次/分钟); 体温超过39摄氏度或有其他的
# 突发异常情况...须在处理后紧急转诊".
URGENT_SYSTOLIC = 180
URGENT_DIASTOLIC = 110
URGENT_GLUCOSE_HIGH = Decimal("16.7")
URGENT_GLUCOSE_LOW = Decimal("3.9")
URGENT_HEART_RATE = 100
URGENT_TEMPERATURE = Decimal("39")

TRIGGERS: dict[str, Trigger] = {
    t.code: t
    for t in (
        Trigger("bp", _("Blood pressure ≥ 180/110 mmHg"), f"{GUIDE} 高血压/2型糖尿病 随访评估"),
        Trigger("glucose_high", _("Glucose ≥ 16.7 mmol/L"), f"{GUIDE} 2型糖尿病 随访评估"),
        Trigger("glucose_low", _("Glucose ≤ 3.9 mmol/L"), f"{GUIDE} 2型糖尿病 随访评估"),
        Trigger("heart_rate", _("Heart rate over 100/min"), f"{GUIDE} 2型糖尿病 随访评估"),
        Trigger("temperature", _("Temperature over 39 °C"), f"{GUIDE} 2型糖尿病 随访评估"),
        Trigger(
            "symptoms",
            _("Danger signs (altered consciousness, severe headache, chest tightness, …)"),
            f"{GUIDE} 高血压/2型糖尿病 随访评估",
        ),
        Trigger(
            "twice_uncontrolled",
            _("Not controlled at two visits in a row"),
            f"{GUIDE} 高血压/2型糖尿病 分类干预 3",
        ),
    )
}
URGENT_TRIGGERS = frozenset({"bp", "glucose_high", "glucose_low", "heart_rate", "temperature"})

# Plausible ranges: a value outside is a typing error, not a finding (our policy, wide enough for
# any living adult or child the team sees).
RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "systolic": (Decimal(50), Decimal(300)),
    "diastolic": (Decimal(20), Decimal(200)),
    "heart_rate": (Decimal(20), Decimal(250)),
    "glucose": (Decimal("1.0"), Decimal("50.0")),
    "weight_kg": (Decimal(2), Decimal(300)),
    "height_cm": (Decimal(40), Decimal(250)),
    "temperature": (Decimal(30), Decimal(45)),
}

# --- Due times and escalation -------------------------------------------------------------------

# A follow-up is overdue once its due day is over (Asia/Shanghai); an overdue plan escalates to the
# team lead, a week later to the township centre's duty officer (our policy, after the other
# workflows' two levels).
ESCALATE_EVERY = datetime.timedelta(days=7)
MAX_ESCALATION_LEVEL = 2
# "Newly discharged": a down-referral received within this many days (our policy).
NEWLY_DISCHARGED_DAYS = 14


@dataclass(frozen=True)
class Figure:
    """One figure with its counting rule, shown next to it."""

    key: str
    name: str
    numerator: str
    denominator: str
    source: str


FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure(
            "contract_rate",
            "签约率",
            "参考日有效签约的常住居民数",
            "团队服务村(居)的在册常住居民数(未死亡)",
            "国医改办发〔2016〕1号",
        ),
        Figure(
            "key_contract_rate",
            "重点人群签约率",
            "参考日有效签约的重点人群居民数",
            "重点人群居民数(65岁及以上、0～6岁按出生日期; 高血压、2型糖尿病、孕产妇、严重精神障碍、"
            "肺结核按已登记的诊断)",
            "国卫基层发〔2022〕10号",
        ),
        Figure(
            "htn_standard_rate",
            "高血压患者规范管理率",
            "按照规范要求进行高血压患者健康管理的人数(统计年内面对面随访≥4次)",
            "年内已管理的高血压患者人数(年内管理中的高血压随访计划)",
            f"{GUIDE} 高血压患者健康管理服务规范 工作指标",
        ),
        Figure(
            "htn_control_rate",
            "管理人群血压控制率",
            "年内最近一次随访血压达标(<140/90 mmHg)人数",
            "年内已管理的高血压患者人数",
            f"{GUIDE} 高血压患者健康管理服务规范 工作指标",
        ),
        Figure(
            "dm_standard_rate",
            "2型糖尿病患者规范管理率",
            "按照规范要求进行2型糖尿病患者健康管理的人数(统计年内面对面随访≥4次)",
            "年内已管理的2型糖尿病患者人数",
            f"{GUIDE} 2型糖尿病患者健康管理服务规范 工作指标",
        ),
        Figure(
            "dm_control_rate",
            "管理人群血糖控制率",
            "年内最近一次随访空腹血糖达标(<7.0 mmol/L)人数",
            "年内已管理的2型糖尿病患者人数",
            f"{GUIDE} 2型糖尿病患者健康管理服务规范 工作指标",
        ),
        Figure(
            "on_time_rate",
            "按时随访率",
            "统计期内到期且在到期日当天或之前完成的随访数",
            "统计期内到期的随访数(慢病随访计划的应随访日与照护计划条目)",
            "本平台口径(我们的政策)",
        ),
        Figure(
            "admission_rate",
            "县域内慢性病健康管理人群住院率",
            "统计期内有住院的管理中高血压/2型糖尿病患者人数; 住院 = 本平台的上转转诊被接收方接收并"
            "登记到达(进行中或已完成)且接收方为县域内医疗机构; "
            "不含未经转诊的住院(本平台无住院登记接口)",
            "统计期内管理中的高血压/2型糖尿病患者人数",
            "紧密型县域医疗卫生共同体监测指标体系(2024版)",
        ),
    )
}
