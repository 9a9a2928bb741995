"""A small county with hand-computed feeds: every figure in the tests can be checked on paper."""

from __future__ import annotations

import datetime

from lianxin.indicators.actions import do_import_feed
from lianxin.indicators.models import FeedKind
from lianxin.testing.factories import MembershipFactory, UserFactory


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def lead_admin(personas):
    """The county hospital's network administrator: imports the county's feeds."""
    user = UserFactory(username="county_admin", display_name="陈管理")
    MembershipFactory(user=user, institution=personas.county_a, role="network_admin")
    return user


def load(personas, actor) -> None:
    """January 2025 encounters and settlements, and the 2025 yearly feeds."""
    p = personas
    a, t, v = p.county_a.code, p.township_a.code, p.village_a.code
    jan = (datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    year = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    feeds = [
        (
            FeedKind.ENCOUNTERS,
            jan,
            csv(
                "机构编码,日期,类别,中医类,人次",
                f"{a},2025-01-15,门诊,否,500",
                f"{a},2025-01-15,门诊,是,100",
                f"{a},2025-01-15,住院,否,80",
                f"{t},2025-01-20,门急诊,否,250",
                f"{t},2025-01-20,门急诊,是,50",
                f"{v},2025-01-31,门诊,否,100",
            ),
        ),
        (
            FeedKind.SETTLEMENTS,
            jan,
            csv(
                "结算日期,结算地点,机构编码,县域外机构,住院,人次,总费用,基金支付",
                f"2025-01-10,县域内,{a},,是,90,900000,540000",
                f"2025-01-10,县域内,{t},,是,10,20000,14000",
                f"2025-01-10,县域内,{t},,否,100,10000,6000",
                "2025-01-12,县域外,,漳州市医院,是,25,500000,260000",
                "2025-01-12,药店,,,否,300,120000,99999",
            ),
        ),
        (
            FeedKind.STAFF_INCOME,
            year,
            csv(
                "机构编码,年份,在岗职工数,收入总额",
                f"{a},2025,10,1500000",
                f"{t},2025,4,400000",
                f"{v},2025,1,50000",
            ),
        ),
        (
            FeedKind.POPULATION,
            year,
            csv(
                "区划代码,年份,年龄组,常住人口",
                "350426,2025,全部,20000",
                *[
                    f"350426,2025,{b},1000"
                    for b in (
                        "30-34",
                        "35-39",
                        "40-44",
                        "45-49",
                        "50-54",
                        "55-59",
                        "60-64",
                        "65-69",
                    )
                ],
            ),
        ),
        (
            FeedKind.DEATHS,
            year,
            csv(
                "区划代码,年份,年龄组,死因,死亡人数",
                *[
                    f"350426,2025,{b},心脑血管疾病,6"
                    for b in (
                        "30-34",
                        "35-39",
                        "40-44",
                        "45-49",
                        "50-54",
                        "55-59",
                        "60-64",
                        "65-69",
                    )
                ],
                *[
                    f"350426,2025,{b},癌症,4"
                    for b in (
                        "30-34",
                        "35-39",
                        "40-44",
                        "45-49",
                        "50-54",
                        "55-59",
                        "60-64",
                        "65-69",
                    )
                ],
                "350426,2025,30-34,其他,9",
            ),
        ),
    ]
    for kind, (first, last), data in feeds:
        report, feed = do_import_feed(
            actor=actor,
            community=p.community_a,
            kind=kind,
            data=data,
            filename=f"{kind}.csv",
            period_start=first,
            period_end=last,
        )
        assert feed is not None, (kind, report.file_errors, [r.messages for r in report.errors()])
