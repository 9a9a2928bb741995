"""Demo step: the feeds the indicators read, for the demo county — encounters and insurance
settlements month by month from January of last year to the last complete month, resident
population, staff income and deaths by cause for last year and this year — and evidence for the
three qualitative indicators, one of them judged.

The volumes follow a county of about 370,000 residents (南靖县's order of size) with a county
hospital, TCM and maternal-child hospitals, 11 township centres and 150 village clinics. Rows
are monthly totals (``count``), written with ``bulk_create`` inside one ``FeedImport`` per feed
and year, which is how the figures' provenance names them.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from lianxin.demo.context import DemoCounty
from lianxin.demo.registry import register_step
from lianxin.indicators.models import (
    DeathRecord,
    EncounterKind,
    EncounterRecord,
    Evidence,
    FeedFormat,
    FeedImport,
    FeedKind,
    Judgement,
    PopulationRecord,
    SettlementPlace,
    SettlementRecord,
    StaffIncomeRecord,
    Target,
)
from lianxin.indicators.rules import CURRENT_EDITION, NCD_AGE_BANDS
from lianxin.network.models import Tier

POPULATION = 370_000
# Monthly outpatient visits, TCM share, monthly admissions, staff, mean yearly income (yuan).
PROFILE = {
    Tier.COUNTY_HOSPITAL: (52_000, 0.05, 2_600, 1_250, 168_000),
    Tier.COUNTY_TCM: (21_000, 0.70, 800, 420, 152_000),
    Tier.COUNTY_MCH: (11_000, 0.08, 420, 260, 139_000),
    Tier.TOWNSHIP: (8_200, 0.16, 150, 62, 118_000),
    Tier.VILLAGE: (620, 0.12, 0, 2, 46_000),
}
OUT_OF_COUNTY = ("漳州市医院", "福建医科大学附属第一医院", "厦门大学附属中山医院")
# Deaths per 100,000 a year from the four NCDs by age band (chosen so that the probability of
# dying 30–70 is near the national figure of about 15 %), and from other causes.
NCD_RATE = {
    "30-34": 45,
    "35-39": 70,
    "40-44": 120,
    "45-49": 200,
    "50-54": 330,
    "55-59": 520,
    "60-64": 850,
    "65-69": 1350,
}
BAND_SHARE = {
    "30-34": 0.075,
    "35-39": 0.072,
    "40-44": 0.074,
    "45-49": 0.082,
    "50-54": 0.080,
    "55-59": 0.068,
    "60-64": 0.060,
    "65-69": 0.050,
}
CAUSE_SPLIT = (
    ("cardiovascular", 0.48),
    ("cancer", 0.36),
    ("respiratory", 0.11),
    ("diabetes", 0.05),
)
EVIDENCE = (
    (
        1,
        "县域医共体人事、财务、药品统一管理实施办法",
        "理事会审议通过的统一管理制度及执行台账",
        Judgement.MET,
    ),
    (2, "医共体理事会议事规则及会议纪要", "理事会章程、全年会议纪要与表决记录", Judgement.PENDING),
    (
        3,
        "双向转诊与共享中心协同运行报告",
        "转诊、远程会诊和共享中心闭环数据（连心导出）",
        Judgement.PARTLY,
    ),
)


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def _feed(county, kind, first, last, actor, fmt=FeedFormat.TABLE) -> FeedImport:
    return FeedImport.objects.create(
        kind=kind,
        format=fmt,
        community=county.county_community,
        filename=f"{kind}-{first:%Y%m}-{last:%Y%m}.xlsx",
        sha256="0" * 64,
        period_start=first,
        period_end=last,
        imported_by=actor,
        note="演示数据",
    )


def build_indicators(county: DemoCounty) -> dict[str, int]:
    rng = random.Random(county.options.seed + 18)
    today = county.options.today
    network = county.accounts["network"][0]
    commission = county.accounts["commission"][0]
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    years = (today.year - 1, today.year)
    institutions = [
        county.county_hospital,
        county.county_tcm,
        county.county_mch,
        *county.townships,
        *county.villages,
    ]
    counts = {"encounters": 0, "settlements": 0}
    for year in years:
        first = datetime.date(year, 1, 1)
        last = min(datetime.date(year, 12, 31), last_month_end)
        if last < first:
            continue
        growth = 1.0 + 0.035 * (year - years[0])
        months = _months(first, last)
        enc_feed = _feed(county, FeedKind.ENCOUNTERS, first, last, network)
        set_feed = _feed(county, FeedKind.SETTLEMENTS, first, last, network)
        encounters, settlements = [], []
        for month in months:
            season = 1.0 + 0.12 * (month.month in (1, 2, 12)) - 0.06 * (month.month in (7, 8))
            for inst in institutions:
                visits, tcm, admissions, _staff, _income = PROFILE[inst.tier]
                n = int(visits * season * rng.uniform(0.9, 1.1) * growth)
                n_tcm = int(n * tcm)
                encounters.append(
                    EncounterRecord(
                        feed=enc_feed,
                        institution=inst,
                        on=month,
                        kind=EncounterKind.OUTPATIENT,
                        is_tcm=False,
                        count=max(n - n_tcm, 1),
                    )
                )
                encounters.append(
                    EncounterRecord(
                        feed=enc_feed,
                        institution=inst,
                        on=month,
                        kind=EncounterKind.OUTPATIENT,
                        is_tcm=True,
                        count=max(n_tcm, 1),
                    )
                )
                fund_out = Decimal(int(n * 0.55 * rng.uniform(55, 75)))
                settlements.append(
                    SettlementRecord(
                        feed=set_feed,
                        on=month,
                        place=SettlementPlace.IN_COUNTY,
                        institution=inst,
                        is_inpatient=False,
                        cases=max(int(n * 0.55), 1),
                        total_cost=fund_out * Decimal("1.8"),
                        fund_paid=fund_out,
                    )
                )
                if admissions:
                    stays = int(admissions * season * rng.uniform(0.9, 1.1))
                    encounters.append(
                        EncounterRecord(
                            feed=enc_feed,
                            institution=inst,
                            on=month,
                            kind=EncounterKind.INPATIENT,
                            count=stays,
                        )
                    )
                    per_case = (
                        7_200
                        if inst.tier == Tier.COUNTY_HOSPITAL
                        else 2_600
                        if inst.tier == Tier.TOWNSHIP
                        else 5_400
                    ) * growth
                    insured = max(int(stays * 0.93), 1)
                    cost = Decimal(int(insured * per_case * rng.uniform(0.95, 1.05)))
                    settlements.append(
                        SettlementRecord(
                            feed=set_feed,
                            on=month,
                            place=SettlementPlace.IN_COUNTY,
                            institution=inst,
                            is_inpatient=True,
                            cases=insured,
                            total_cost=cost,
                            fund_paid=(cost * Decimal("0.62")).quantize(Decimal(1)),
                        )
                    )
            for name in OUT_OF_COUNTY:
                cases = int(140 * season * rng.uniform(0.85, 1.15))
                cost = Decimal(int(cases * 19_500 * growth))
                settlements.append(
                    SettlementRecord(
                        feed=set_feed,
                        on=month,
                        place=SettlementPlace.OUT_OF_COUNTY,
                        place_name=name,
                        is_inpatient=True,
                        cases=cases,
                        total_cost=cost,
                        fund_paid=(cost * Decimal("0.52")).quantize(Decimal(1)),
                    )
                )
            pharmacy = Decimal(int(2_100_000 * season))
            settlements.append(
                SettlementRecord(
                    feed=set_feed,
                    on=month,
                    place=SettlementPlace.PHARMACY,
                    is_inpatient=False,
                    cases=int(pharmacy / 90),
                    total_cost=pharmacy,
                    fund_paid=pharmacy * Decimal("0.7"),
                )
            )
        EncounterRecord.objects.bulk_create(encounters, batch_size=5000)
        SettlementRecord.objects.bulk_create(settlements, batch_size=5000)
        for feed, rows, count in (
            (enc_feed, encounters, sum(r.count for r in encounters)),
            (set_feed, settlements, sum(r.cases for r in settlements)),
        ):
            feed.rows, feed.total_count = len(rows), count
            feed.save(update_fields=["rows", "total_count"])
        counts["encounters"] += len(encounters)
        counts["settlements"] += len(settlements)

        # Yearly feeds: population and deaths from the commission, staff income from the county.
        year_first, year_last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        division = county.county_community.division_code
        pop_feed = _feed(county, FeedKind.POPULATION, year_first, year_last, commission)
        people = int(POPULATION * (1 + 0.004 * (year - years[0])))
        pops = [
            PopulationRecord(
                feed=pop_feed, division_code=division, year=year, age_band="all", population=people
            )
        ]
        pops += [
            PopulationRecord(
                feed=pop_feed,
                division_code=division,
                year=year,
                age_band=band,
                population=int(people * BAND_SHARE[band]),
            )
            for band in NCD_AGE_BANDS
        ]
        PopulationRecord.objects.bulk_create(pops)
        death_feed = _feed(county, FeedKind.DEATHS, year_first, year_last, commission)
        deaths = []
        for band in NCD_AGE_BANDS:
            expected = (
                people
                * BAND_SHARE[band]
                * NCD_RATE[band]
                / 100_000
                * (1 - 0.02 * (year - years[0]))
            )
            for cause, share in CAUSE_SPLIT:
                deaths.append(
                    DeathRecord(
                        feed=death_feed,
                        division_code=division,
                        year=year,
                        age_band=band,
                        cause=cause,
                        deaths=max(int(expected * share * rng.uniform(0.9, 1.1)), 0),
                    )
                )
            deaths.append(
                DeathRecord(
                    feed=death_feed,
                    division_code=division,
                    year=year,
                    age_band=band,
                    cause="other",
                    deaths=int(expected * 0.4),
                )
            )
        DeathRecord.objects.bulk_create(deaths)
        income_feed = _feed(county, FeedKind.STAFF_INCOME, year_first, year_last, network)
        incomes = []
        for inst in institutions:
            _v, _t, _a, staff, mean = PROFILE[inst.tier]
            incomes.append(
                StaffIncomeRecord(
                    feed=income_feed,
                    institution=inst,
                    year=year,
                    staff=staff,
                    total_income=Decimal(int(staff * mean * growth * rng.uniform(0.95, 1.05))),
                )
            )
        StaffIncomeRecord.objects.bulk_create(incomes)
        for feed, rows in ((pop_feed, pops), (death_feed, deaths), (income_feed, incomes)):
            feed.rows = len(rows)
            feed.save(update_fields=["rows"])

    year = today.year
    for number, title, description, judgement in EVIDENCE:
        evidence = Evidence.objects.create(
            community=county.county_community,
            edition=CURRENT_EDITION,
            indicator=f"{CURRENT_EDITION}.{number:02d}",
            year=year,
            title=title,
            description=description,
            submitted_by=network,
        )
        if judgement != Judgement.PENDING:
            evidence.judgement, evidence.judged_by = judgement, commission
            evidence.judged_at = evidence.created_at
            evidence.judgement_note = (
                "" if judgement == Judgement.MET else "部分制度尚未落实到乡镇卫生院"
            )
            evidence.save()
    for number, value, source in (
        (7, Decimal(65), "福建省紧密型县域医共体建设目标"),
        (11, Decimal(90), "县域内住院人次占比目标"),
        (8, Decimal(70), "县医保基金支出目标"),
    ):
        Target.objects.create(
            community=county.county_community,
            edition=CURRENT_EDITION,
            indicator=f"{CURRENT_EDITION}.{number:02d}",
            year=year,
            value=value,
            source=source,
            set_by=commission,
        )
    return counts


register_step("indicators", build_indicators, order=190)
