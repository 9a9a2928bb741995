"""Reading a feed file (CSV or Excel) into rows, all or nothing.

Each kind declares its columns with ``core.imports.Column`` and turns a row into an unsaved model
instance or a list of field errors. ``read_feed`` reads every row first: if one row is wrong, the
report lists every wrong row and nothing is written; otherwise the action stores them all at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.core.imports import (
    CellError,
    Column,
    FileError,
    ImportReport,
    RowResult,
    Status,
    convert,
    map_headers,
    read_table,
)
from lianxin.indicators.models import (
    AgeBand,
    DeathCause,
    DeathRecord,
    EncounterKind,
    EncounterRecord,
    FeedKind,
    PopulationRecord,
    SettlementPlace,
    SettlementRecord,
    StaffIncomeRecord,
)

# Feeds arrive as daily or monthly totals per institution; a county-year fits in one file.
MAX_FEED_ROWS = 200_000

YES = {"1", "是", "y", "yes", "true", "中医", "中医类", "住院", "inpatient"}
NO = {"", "0", "否", "n", "no", "false", "西医", "门诊", "门急诊", "急诊", "outpatient"}
KIND_WORDS = {
    "门诊": EncounterKind.OUTPATIENT,
    "急诊": EncounterKind.OUTPATIENT,
    "门急诊": EncounterKind.OUTPATIENT,
    "outpatient": EncounterKind.OUTPATIENT,
    "住院": EncounterKind.INPATIENT,
    "入院": EncounterKind.INPATIENT,
    "inpatient": EncounterKind.INPATIENT,
}
PLACE_WORDS = {
    "县域内": SettlementPlace.IN_COUNTY,
    "in_county": SettlementPlace.IN_COUNTY,
    "县域外": SettlementPlace.OUT_OF_COUNTY,
    "县外": SettlementPlace.OUT_OF_COUNTY,
    "out_of_county": SettlementPlace.OUT_OF_COUNTY,
    "药店": SettlementPlace.PHARMACY,
    "定点药店": SettlementPlace.PHARMACY,
    "pharmacy": SettlementPlace.PHARMACY,
}
CAUSE_WORDS = {
    "心脑血管疾病": DeathCause.CARDIOVASCULAR,
    "心脑血管病": DeathCause.CARDIOVASCULAR,
    "癌症": DeathCause.CANCER,
    "恶性肿瘤": DeathCause.CANCER,
    "慢性呼吸系统疾病": DeathCause.RESPIRATORY,
    "糖尿病": DeathCause.DIABETES,
    "其他": DeathCause.OTHER,
    **{c.value: c.value for c in DeathCause},
}
BAND_WORDS = {"全部": AgeBand.ALL, "合计": AgeBand.ALL, **{b.value: b.value for b in AgeBand}}


def _word(table: dict[str, str], value: Any, field: str, what: str) -> str:
    text = "".join(str(value or "").split()).lower()
    for word, code in table.items():
        if text == word.lower():
            return code
    raise CellError(
        _("%(value)s is not a known %(what)s; use one of: %(words)s.")
        % {"value": str(value)[:30], "what": what, "words": "、".join(table)}
    )


def _flag(value: Any) -> bool:
    text = "".join(str(value or "").split()).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(_("Write 是 or 否."))


def _money(value: Any) -> Decimal:
    if value is None or value == "":
        raise CellError(_("Enter an amount."))
    if value < 0:
        raise CellError(_("An amount cannot be negative."))
    return value


def _count(value: Any, *, required: bool = True, default: int | None = None) -> int:
    if value is None:
        if default is not None:
            return default
        raise CellError(_("Enter a whole number."))
    if value < 0:
        raise CellError(_("A count cannot be negative."))
    return value


@dataclass
class Context:
    """What a row is checked against: the community's institutions by code and the period."""

    institutions: dict[str, Any]
    first: datetime.date
    last: datetime.date

    def institution(self, code: Any) -> Any:
        text = str(code or "").strip()
        if not text:
            raise CellError(_("Enter the institution code."))
        found = self.institutions.get(text)
        if found is None:
            raise CellError(
                _("No institution of this community has the code %(code)s.") % {"code": text[:30]}
            )
        return found

    def day(self, value: Any) -> datetime.date:
        if value is None:
            raise CellError(_("Enter the date."))
        if not self.first <= value <= self.last:
            raise CellError(
                _("%(day)s lies outside the period of this import (%(first)s to %(last)s).")
                % {"day": value, "first": self.first, "last": self.last}
            )
        return value

    def year(self, value: Any) -> int:
        if value is None:
            raise CellError(_("Enter the year."))
        if not self.first.year <= value <= self.last.year:
            raise CellError(_("%(year)s lies outside the period of this import.") % {"year": value})
        return value


def _text_col(key, label, headers, required=True):
    return Column(key, label, headers, required=required)


INSTITUTION = Column(
    "institution", gettext_lazy("Institution code"), ("机构编码", "机构代码"), True
)
DAY = Column("on", gettext_lazy("Date"), ("日期", "就诊日期", "结算日期"), True, "date")
YEAR = Column("year", gettext_lazy("Year"), ("年份", "年度"), True, "integer")
DIVISION = Column("division", gettext_lazy("Division code"), ("区划代码", "行政区划代码"), True)
BAND = Column("age_band", gettext_lazy("Age band"), ("年龄组",), True)


def _encounter(values: dict[str, Any], ctx: Context, feed: Any) -> EncounterRecord:
    return EncounterRecord(
        feed=feed,
        institution=ctx.institution(values["institution"]),
        on=ctx.day(values["on"]),
        kind=_word(KIND_WORDS, values["kind"], "kind", _("kind of encounter")),
        is_tcm=_flag(values.get("tcm")),
        count=_count(values.get("count"), default=1) or 1,
    )


def _settlement(values: dict[str, Any], ctx: Context, feed: Any) -> SettlementRecord:
    place = _word(PLACE_WORDS, values["place"], "place", _("place"))
    institution = None
    if place == SettlementPlace.IN_COUNTY:
        institution = ctx.institution(values.get("institution"))
    elif place == SettlementPlace.OUT_OF_COUNTY and not values.get("place_name"):
        raise CellError(_("Name the institution outside the county."))
    cases = _count(values.get("cases"), default=1)
    if cases == 0:
        raise CellError(_("A settlement row counts at least one settlement."))
    return SettlementRecord(
        feed=feed,
        on=ctx.day(values["on"]),
        place=place,
        institution=institution,
        place_name=(values.get("place_name") or "")[:120],
        is_inpatient=_flag(values.get("inpatient")),
        cases=cases,
        total_cost=_money(values.get("total_cost")),
        fund_paid=_money(values.get("fund_paid")),
    )


def _population(values: dict[str, Any], ctx: Context, feed: Any) -> PopulationRecord:
    return PopulationRecord(
        feed=feed,
        division_code=str(values["division"]).strip()[:12],
        year=ctx.year(values["year"]),
        age_band=_word(BAND_WORDS, values["age_band"] or "all", "age_band", _("age band")),
        population=_count(values.get("population")),
    )


def _income(values: dict[str, Any], ctx: Context, feed: Any) -> StaffIncomeRecord:
    staff = _count(values.get("staff"))
    if staff == 0:
        raise CellError(_("An institution reports at least one member of staff."))
    return StaffIncomeRecord(
        feed=feed,
        institution=ctx.institution(values["institution"]),
        year=ctx.year(values["year"]),
        staff=staff,
        total_income=_money(values.get("total_income")),
    )


def _death(values: dict[str, Any], ctx: Context, feed: Any) -> DeathRecord:
    return DeathRecord(
        feed=feed,
        division_code=str(values["division"]).strip()[:12],
        year=ctx.year(values["year"]),
        age_band=_word(BAND_WORDS, values["age_band"], "age_band", _("age band")),
        cause=_word(CAUSE_WORDS, values["cause"], "cause", _("cause of death")),
        deaths=_count(values.get("deaths")),
    )


@dataclass(frozen=True)
class FeedSpec:
    kind: str
    columns: tuple[Column, ...]
    build: Callable[[dict[str, Any], Context, Any], Any]
    count_field: str | None = None
    yearly: bool = False


SPECS: dict[str, FeedSpec] = {
    FeedKind.ENCOUNTERS: FeedSpec(
        FeedKind.ENCOUNTERS,
        (
            INSTITUTION,
            DAY,
            Column("kind", gettext_lazy("Kind"), ("类别", "就诊类型"), True),
            Column("tcm", gettext_lazy("TCM"), ("中医类",)),
            Column("count", gettext_lazy("Count"), ("人次", "数量"), False, "integer"),
        ),
        _encounter,
        "count",
    ),
    FeedKind.SETTLEMENTS: FeedSpec(
        FeedKind.SETTLEMENTS,
        (
            DAY,
            Column("place", gettext_lazy("Place"), ("结算地点", "就医地"), True),
            Column("institution", gettext_lazy("Institution code"), ("机构编码", "机构代码")),
            Column("place_name", gettext_lazy("Place outside the county"), ("县域外机构",)),
            Column("inpatient", gettext_lazy("Inpatient"), ("住院",)),
            Column("cases", gettext_lazy("Settlements"), ("人次",), False, "integer"),
            Column("total_cost", gettext_lazy("Total cost"), ("总费用",), True, "decimal"),
            Column(
                "fund_paid", gettext_lazy("Fund paid"), ("基金支付", "统筹支付"), True, "decimal"
            ),
        ),
        _settlement,
        "cases",
    ),
    FeedKind.POPULATION: FeedSpec(
        FeedKind.POPULATION,
        (
            DIVISION,
            YEAR,
            BAND,
            Column(
                "population", gettext_lazy("Population"), ("常住人口", "人口数"), True, "integer"
            ),
        ),
        _population,
        "population",
        yearly=True,
    ),
    FeedKind.STAFF_INCOME: FeedSpec(
        FeedKind.STAFF_INCOME,
        (
            INSTITUTION,
            YEAR,
            Column("staff", gettext_lazy("Staff"), ("在岗职工数", "职工数"), True, "integer"),
            Column(
                "total_income",
                gettext_lazy("Total income"),
                ("收入总额", "工资总额"),
                True,
                "decimal",
            ),
        ),
        _income,
        "staff",
        yearly=True,
    ),
    FeedKind.DEATHS: FeedSpec(
        FeedKind.DEATHS,
        (
            DIVISION,
            YEAR,
            BAND,
            Column("cause", gettext_lazy("Cause"), ("死因", "死因类别"), True),
            Column("deaths", gettext_lazy("Deaths"), ("死亡人数", "死亡数"), True, "integer"),
        ),
        _death,
        "deaths",
        yearly=True,
    ),
}


class _Importer:
    """Just enough of ``core.imports.Importer`` for ``map_headers``."""

    def __init__(self, columns: tuple[Column, ...]):
        self.columns = columns


def read_feed(
    kind: str, data: bytes, filename: str, ctx: Context
) -> tuple[ImportReport, list[Any]]:
    """Every row of the file as an unsaved instance (feed unset), and the report."""
    spec = SPECS[kind]
    report = ImportReport(kind=f"feed:{kind}", filename=filename)
    try:
        table = read_table(data, filename, None, MAX_FEED_ROWS)
        mapping = map_headers(_Importer(spec.columns), table.headers)
    except FileError as exc:
        report.file_errors = exc.messages
        return report, []
    labels = {c.key: str(table.headers[pos]).strip() for pos, c in mapping.items()}
    built = []
    for number, cells in table.rows:
        if not any(c not in (None, "") for c in cells):
            report.rows.append(RowResult(number, Status.SKIPPED, "", [("", _("Empty row."))]))
            continue
        values: dict[str, Any] = {c.key: None for c in spec.columns}
        errors: list[tuple[str, str]] = []
        for position, column in mapping.items():
            raw = cells[position] if position < len(cells) else None
            if column.kind in {"integer", "decimal"} and str(raw or "").strip().startswith("-"):
                errors.append((labels.get(column.key, column.key), _("Cannot be negative.")))
                continue
            try:
                values[column.key] = convert(column, raw)
            except CellError as exc:
                errors.append((labels.get(column.key, column.key), str(exc)))
        row = None
        if not errors:
            try:
                row = spec.build(values, ctx, None)
            except CellError as exc:
                errors.append(("", str(exc)))
        if errors:
            report.rows.append(RowResult(number, Status.ERROR, "", errors))
        else:
            report.rows.append(RowResult(number, Status.CREATED, ""))
            built.append(row)
    return report, built
