"""The indicator catalogue: each national edition as data, each indicator with its published name,
its numerator and denominator in words and as code, unit, direction, counting rules, data source,
citation and status.

The text of the catalogue is in Chinese, the language of its source; the names are as published.
Where the published text gives no formula, ``working_definition`` is set and the counting rules
say that the formula is the platform's working definition.

Sources:
- 2024 edition: 《紧密型县域医疗卫生共同体监测指标体系（2024版）》, five aspects (紧密型、同质化、
  促分工、提效能、保健康) and 14 indicators, as listed in the published question-and-answer
  interpretation of the system. The notice that issued it and its number could not be confirmed
  offline; the names below follow the interpretation word for word.
- 2020 trial edition: 《紧密型县域医疗卫生共同体建设评判标准和监测指标体系（试行）》
  (国卫办基层发〔2020〕12号): four aspects and 26 monitoring indicators. Only its aspect
  structure is kept here; its indicators are not itemised (their exact wording could not be
  confirmed offline).
- Premature mortality: WHO, *Global Action Plan for the Prevention and Control of NCDs
  2013–2020*, indicator 1 (unconditional probability of dying between 30 and 70 from the four
  main NCDs), computed from 5-year age-specific death rates; the same indicator as 《健康中国行动
  （2019—2030年）》's 重大慢性病过早死亡率.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EDITION_2024 = "2024"
EDITION_2020 = "2020"

SOURCE_2024 = (
    "《紧密型县域医疗卫生共同体监测指标体系（2024版）》（五个方面14项指标，据其公开解读；"
    "印发文号未能离线核实）"
)
SOURCE_2020 = (
    "《紧密型县域医疗卫生共同体建设评判标准和监测指标体系（试行）》（国卫办基层发〔2020〕12号）"
)
SOURCE_WHO_NCD = (
    "WHO《Global Action Plan for the Prevention and Control of NCDs 2013–2020》指标1；"
    "《健康中国行动（2019—2030年）》重大慢性病过早死亡率"
)


class Status:
    """Where a figure comes from."""

    COMPUTED = "computed"  # from Lianxin's own records
    FEED = "feed"  # from a feed imported into Lianxin
    QUALITATIVE = "qualitative"  # evidence documents, judged

    LABELS = {
        COMPUTED: "由连心业务数据计算",
        FEED: "由导入的数据计算",
        QUALITATIVE: "定性指标：佐证材料评判",
    }


class Direction:
    UP = "up"
    DOWN = "down"
    LABELS = {UP: "越高越好", DOWN: "越低越好"}


@dataclass(frozen=True)
class Aspect:
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class Indicator:
    """One indicator of one edition. ``compute`` names the function in
    ``lianxin.indicators.compute`` that produces its figure."""

    edition: str
    number: int
    aspect: str
    name: str
    status: str
    unit: str = ""
    direction: str = Direction.UP
    numerator: str = ""
    denominator: str = ""
    numerator_code: str = ""
    denominator_code: str = ""
    counting_rules: str = ""
    data_source: str = ""
    citation: str = SOURCE_2024
    working_definition: bool = False
    compute: str = ""
    periods: tuple[str, ...] = ("month", "quarter", "year")
    scopes: tuple[str, ...] = ("community", "township", "institution")
    percent: bool = False

    @property
    def code(self) -> str:
        return f"{self.edition}.{self.number:02d}"


@dataclass(frozen=True)
class Edition:
    code: str
    name: str
    citation: str
    aspects: tuple[Aspect, ...]
    indicators: tuple[Indicator, ...] = field(default_factory=tuple)
    note: str = ""

    def indicator(self, number_or_code: int | str) -> Indicator | None:
        for item in self.indicators:
            if number_or_code in (item.number, item.code, str(item.number)):
                return item
        return None


_COUNTY = ("community",)
_YEAR = ("year",)
_PRIMARY = "基层医疗卫生机构（乡镇卫生院、社区卫生服务中心、村卫生室）"

INDICATORS_2024: tuple[Indicator, ...] = (
    Indicator(
        EDITION_2024,
        1,
        "tight",
        "资源统一管理",
        Status.QUALITATIVE,
        counting_rules=(
            "人事、财务、业务、药品、信息等统一管理：通过政策文件、实物及资料佐证、访谈调查等综合"
            "评判，以有明确的制度安排并已组织实施为标准。"
        ),
        data_source="佐证材料（上传）与评判记录",
        periods=_YEAR,
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        2,
        "tight",
        "医共体内部民主决策",
        Status.QUALITATIVE,
        counting_rules="以有明确的制度安排并已组织实施为标准，依佐证材料综合评判。",
        data_source="佐证材料（上传）与评判记录",
        periods=_YEAR,
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        3,
        "tight",
        "服务协同联动",
        Status.QUALITATIVE,
        counting_rules=(
            "以有明确的制度安排并已组织实施为标准，依佐证材料综合评判；连心中的双向转诊、远程会诊"
            "和共享中心闭环数据可作佐证。"
        ),
        data_source="佐证材料（上传）与评判记录",
        periods=_YEAR,
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        4,
        "homogeneous",
        "二级及以上医疗卫生机构中级及以上医师到基层医疗卫生机构派驻人数（人）/每万常住人口",
        Status.COMPUTED,
        unit="人/万人",
        numerator="当年派驻到基层医疗卫生机构的二级及以上医疗卫生机构中级及以上职称医师人数（每人每年计一次）",
        denominator="常住人口（万人）",
        numerator_code=(
            "count(distinct Posting.practitioner where kind=驻点, 派驻≥6个月, overlaps(year), "
            "practitioner.title ∈ 中级及以上, home.tier ∈ 二级及以上, host.tier ∈ 基层)"
        ),
        denominator_code=(
            "PopulationRecord(division, year, all).population / 10000；缺省时用登记居民数"
        ),
        counting_rules=(
            "派驻指驻点（连续6个月及以上），巡诊、短期支援和管理人员不计；同一医师一年内多次派驻计一人。"
            "常住人口取导入的人口数据；未导入时以连心登记的居民数代替，并在数值旁注明。"
        ),
        data_source="连心外联派驻记录（outreach.Posting）；人口数据（导入）",
        compute="stationed_seniors",
        periods=_YEAR,
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        5,
        "homogeneous",
        "影像心电中心服务开展与心电设备村级覆盖率",
        Status.COMPUTED,
        unit="%",
        percent=True,
        numerator="期末前30日内有联网心电设备上传过心电图记录的村卫生室数",
        denominator="在用的村卫生室数",
        numerator_code=(
            "count(distinct ExamOrder.requester_institution where centre_type=ecg, "
            "performed_at ∈ (period_end−30d, period_end], requester.tier=village)"
        ),
        denominator_code="count(Institution where tier=village, active)",
        counting_rules=(
            "数值为心电设备村级覆盖率；同时列出期内影像中心、心电中心为成员单位完成的远程诊断例数"
            "（由共享中心而非开单机构出具报告的检查）。公开文本未给出计算公式，此为平台工作定义。"
        ),
        data_source="连心共享中心检查记录（diagnostics.ExamOrder）",
        working_definition=True,
        compute="imaging_ecg_service",
    ),
    Indicator(
        EDITION_2024,
        6,
        "homogeneous",
        "基层医疗卫生机构人均收入与牵头医院人均收入的比值",
        Status.FEED,
        unit="",
        numerator=f"{_PRIMARY}在岗职工年收入总额 ÷ 在岗职工数",
        denominator="牵头医院在岗职工年收入总额 ÷ 在岗职工数",
        numerator_code=(
            "sum(StaffIncomeRecord.total_income)/sum(staff) where institution.tier ∈ 基层"
        ),
        denominator_code="sum(total_income)/sum(staff) where institution = community.lead",
        counting_rules="按年计算；公开文本未给出收入口径，此为平台工作定义（以导入的收入总额为准）。",
        data_source="职工收入数据（导入）",
        working_definition=True,
        compute="income_ratio",
        periods=_YEAR,
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        7,
        "division",
        "县域内基层医疗卫生机构诊疗人次数占比",
        Status.FEED,
        unit="%",
        percent=True,
        numerator=f"县域内{_PRIMARY}门急诊诊疗人次数",
        denominator="县域内全部医疗卫生机构门急诊诊疗人次数",
        numerator_code="sum(EncounterRecord.count where kind=outpatient, institution.tier ∈ 基层)",
        denominator_code="sum(EncounterRecord.count where kind=outpatient)",
        counting_rules="诊疗人次数按门诊、急诊人次计，住院不计。",
        data_source="诊疗人次数据（导入）",
        compute="primary_visit_share",
    ),
    Indicator(
        EDITION_2024,
        8,
        "division",
        "医保基金县域内支出占比（不含药店）",
        Status.FEED,
        unit="%",
        percent=True,
        numerator="县域参保人在县域内医疗机构发生的医保基金支出",
        denominator="县域参保人在县域内外医疗机构发生的医保基金支出（不含药店）",
        numerator_code="sum(SettlementRecord.fund_paid where place=in_county)",
        denominator_code="sum(fund_paid where place ∈ {in_county, out_of_county})",
        counting_rules="药店结算不计入分子和分母。",
        data_source="医保结算数据（导入）",
        compute="fund_in_county_share",
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        9,
        "division",
        "县域内基层医疗卫生机构医保基金支出占比",
        Status.FEED,
        unit="%",
        percent=True,
        numerator=f"县域内{_PRIMARY}的医保基金支出",
        denominator="县域内全部医疗机构的医保基金支出",
        numerator_code="sum(fund_paid where place=in_county, institution.tier ∈ 基层)",
        denominator_code="sum(fund_paid where place=in_county)",
        counting_rules="药店和县域外结算不计。",
        data_source="医保结算数据（导入）",
        compute="fund_primary_share",
    ),
    Indicator(
        EDITION_2024,
        10,
        "efficiency",
        "参保人在县域内住院人均费用（元）及增长率",
        Status.FEED,
        unit="元",
        direction=Direction.DOWN,
        numerator="县域参保人在县域内医疗机构住院总费用",
        denominator="县域参保人在县域内医疗机构住院人次数",
        numerator_code="sum(total_cost where place=in_county, inpatient)",
        denominator_code="sum(cases where place=in_county, inpatient)",
        counting_rules=(
            "增长率 = (本期人均费用 − 上年同期人均费用) ÷ 上年同期人均费用；"
            "上年同期无数据时不计增长率。"
        ),
        data_source="医保结算数据（导入）",
        compute="inpatient_cost",
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        11,
        "efficiency",
        "参保人县域内住院人次占比",
        Status.FEED,
        unit="%",
        percent=True,
        numerator="县域参保人在县域内医疗机构住院人次数",
        denominator="县域参保人住院总人次数（县域内外）",
        numerator_code="sum(cases where place=in_county, inpatient)",
        denominator_code="sum(cases where place ∈ {in_county, out_of_county}, inpatient)",
        data_source="医保结算数据（导入）",
        compute="inpatient_in_county_share",
        scopes=_COUNTY,
    ),
    Indicator(
        EDITION_2024,
        12,
        "efficiency",
        "县域内中医类诊疗量占比",
        Status.FEED,
        unit="%",
        percent=True,
        numerator="县域内医疗卫生机构提供的中医类门急诊诊疗人次数",
        denominator="县域内医疗卫生机构门急诊诊疗人次数",
        numerator_code="sum(EncounterRecord.count where kind=outpatient, is_tcm)",
        denominator_code="sum(EncounterRecord.count where kind=outpatient)",
        counting_rules="中医类诊疗以发送方标记的中医类服务为准。",
        data_source="诊疗人次数据（导入）",
        compute="tcm_visit_share",
    ),
    Indicator(
        EDITION_2024,
        13,
        "health",
        "县域内慢性病健康管理人群住院率",
        Status.COMPUTED,
        unit="%",
        direction=Direction.DOWN,
        percent=True,
        numerator="期内住院的（向上转诊并到院的）纳入健康管理的高血压、2型糖尿病患者人数",
        denominator="期内纳入健康管理的高血压、2型糖尿病患者人数",
        numerator_code=(
            "count(distinct FollowUpPlan.patient where programme ∈ {hypertension, diabetes}, "
            "open in year, "
            "has up-referral 'start' (到院) in year at a county-community member)"
        ),
        denominator_code=(
            "count(distinct FollowUpPlan.patient where programme ∈ {hypertension, diabetes}, "
            "open in year)"
        ),
        counting_rules=(
            "健康管理人群为家庭医生团队在管的高血压、2型糖尿病患者；住院以连心记录的向上转诊到院为准，"
            "同一患者期内多次住院计一人。公开文本未给出计算公式，此为平台工作定义。"
        ),
        data_source="连心家庭医生随访与转诊记录（primarycare、referrals）",
        working_definition=True,
        compute="chronic_admission_rate",
        periods=_YEAR,
    ),
    Indicator(
        EDITION_2024,
        14,
        "health",
        "县域内四类慢性病过早死亡率",
        Status.FEED,
        unit="%",
        direction=Direction.DOWN,
        percent=True,
        numerator="30—69岁居民因心脑血管疾病、癌症、慢性呼吸系统疾病、糖尿病死亡的人数（按5岁年龄组）",
        denominator="30—69岁各5岁年龄组常住人口",
        numerator_code="DeathRecord(year, band ∈ 30–69, cause ∈ 四类).deaths by band",
        denominator_code="PopulationRecord(year, band ∈ 30–69).population by band",
        counting_rules=(
            "按WHO方法：各5岁组死亡率 M = 死亡数 ÷ 人口，组死亡概率 q = 5M ÷ (1 + 2.5M)，"
            "过早死亡率 = 1 − ∏(1 − q)。按年计算；缺任一年龄组时不出数。"
        ),
        data_source="死因监测数据与分年龄组人口数据（导入）",
        citation=f"{SOURCE_2024}；计算方法：{SOURCE_WHO_NCD}",
        compute="premature_ncd_mortality",
        periods=_YEAR,
        scopes=_COUNTY,
    ),
)

ASPECTS_2024 = (
    Aspect("tight", "紧密型", "推进人事、财务、业务、药品、信息等统一管理（定性指标）"),
    Aspect("homogeneous", "同质化", "推动资源下沉，提升县域医疗卫生服务能力与质量"),
    Aspect("division", "促分工", "促进有序就医格局形成"),
    Aspect("efficiency", "提效能", "促进资源有效利用，提高医保基金使用效能"),
    Aspect("health", "保健康", "提升县域居民获得感和健康水平"),
)

ASPECTS_2020 = (
    Aspect("orderly", "有序就医格局基本形成", ""),
    Aspect("capacity", "县域医疗卫生服务能力提升", ""),
    Aspect("resources", "医疗卫生资源有效利用", ""),
    Aspect("insurance", "医保基金使用效能提升", ""),
)

EDITIONS: dict[str, Edition] = {
    EDITION_2024: Edition(
        EDITION_2024,
        "紧密型县域医疗卫生共同体监测指标体系（2024版）",
        SOURCE_2024,
        ASPECTS_2024,
        INDICATORS_2024,
    ),
    EDITION_2020: Edition(
        EDITION_2020,
        "紧密型县域医疗卫生共同体建设监测指标体系（试行）",
        SOURCE_2020,
        ASPECTS_2020,
        (),
        note="仅保留该版的四个方面；其26项监测指标的原文未能离线核实，未逐项录入，也不计算。",
    ),
}
CURRENT_EDITION = EDITION_2024

# The four NCD causes of the premature-mortality indicator and the age bands it sums over.
NCD_CAUSES = ("cardiovascular", "cancer", "respiratory", "diabetes")
NCD_AGE_BANDS = ("30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64", "65-69")
# Days before the end of a period in which a village's ECG device must have sent a record.
ECG_COVERAGE_DAYS = 30


@dataclass(frozen=True)
class AllianceFigure:
    code: str
    name: str
    counting_rule: str


# What the tertiary-led alliance reports it sent down, per year and member (the figures its
# annual report quotes). They come from the outreach, referrals and diagnostics records.
ALLIANCE_FIGURES: tuple[AllianceFigure, ...] = (
    AllianceFigure(
        "person_times",
        "下派专家（人次）",
        "期内与当年有重叠的派驻、巡诊、短期支援记录，每条计一人次",
    ),
    AllianceFigure("stationings", "长期驻点（人次）", "类型为驻点（≥6个月）的派驻记录"),
    AllianceFigure("techniques", "新技术新项目（项）", "当年引进到成员单位的技术"),
    AllianceFigure("first_cases", "首例（例）", "首例发生在当年的技术"),
    AllianceFigure("trainees", "进修人员（人次）", "当年开始的进修安排"),
    AllianceFigure("consultations", "远程会诊（例）", "成员单位当年发起的远程会诊与多学科会诊"),
    AllianceFigure(
        "remote_reads", "远程诊断（例）", "成员单位开单、由其他机构的共享中心出具报告的检查"
    ),
    AllianceFigure("attendance", "远程教育（人次）", "成员单位人员当年参加远程教育的人次"),
    AllianceFigure("specialties", "共建专科（个）", "当年处于共建或已达标状态的共建专科"),
    AllianceFigure("members", "成员单位（家）", "医联体成员机构数（含下属县域医共体的机构）"),
)
