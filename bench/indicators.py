"""The 14 monitoring indicators for a county-year: cold (nothing cached) and warm, with queries.

    .venv/bin/python bench/indicators.py                     # PostgreSQL, 1,500,000 encounters
    .venv/bin/python bench/indicators.py --encounters 200000 --sqlite

It builds the default demo county (which imports two years of monthly feeds), then adds one row
per encounter for last year — ``--encounters`` of them (default 1,500,000) spread over its
institutions and days — and one settlement row per 4 encounters, as a county's HIS and insurance
exports would arrive. Then it computes every indicator of the 2024 edition for the county and
that year: cold (an empty figure cache), warm (the cache filled), and the dashboard page's work
with five-year trends; and prints the time, the SQL queries, the rows behind the figures and the
ratio to a trivial query. On PostgreSQL into ``DATABASE_URL`` if set (EMPTIED first), else into a
new database ``lianxin_bench_indicators``, dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_database, machine, postgres_version

BATCH = 20_000


def add_rows(encounters: int, year: int) -> tuple[int, int]:
    from lianxin.indicators.models import (
        EncounterKind,
        EncounterRecord,
        FeedImport,
        FeedKind,
        SettlementPlace,
        SettlementRecord,
    )
    from lianxin.network.models import Tier

    rng = random.Random(18)
    enc_feed = FeedImport.objects.get(kind=FeedKind.ENCOUNTERS, period_start__year=year)
    set_feed = FeedImport.objects.get(kind=FeedKind.SETTLEMENTS, period_start__year=year)
    institutions = list(
        {
            r.institution
            for r in EncounterRecord.objects.filter(feed=enc_feed).select_related("institution")
        }
    )
    weights = [
        {Tier.COUNTY_HOSPITAL: 30, Tier.COUNTY_TCM: 12, Tier.COUNTY_MCH: 6, Tier.TOWNSHIP: 5}.get(
            i.tier, 0.4
        )
        for i in institutions
    ]
    first = datetime.date(year, 1, 1)
    written_e = written_s = 0
    while written_e < encounters:
        n = min(BATCH, encounters - written_e)
        picks = rng.choices(institutions, weights, k=n)
        rows = [
            EncounterRecord(
                feed=enc_feed,
                institution=inst,
                on=first + datetime.timedelta(days=rng.randrange(365)),
                kind=EncounterKind.INPATIENT if rng.random() < 0.04 else EncounterKind.OUTPATIENT,
                is_tcm=rng.random() < 0.15,
                count=1,
            )
            for inst in picks
        ]
        EncounterRecord.objects.bulk_create(rows, batch_size=BATCH)
        settlements = [
            SettlementRecord(
                feed=set_feed,
                on=r.on,
                place=SettlementPlace.IN_COUNTY
                if rng.random() < 0.9
                else SettlementPlace.OUT_OF_COUNTY,
                institution=r.institution,
                place_name="",
                is_inpatient=r.kind == EncounterKind.INPATIENT,
                cases=1,
                total_cost=Decimal(rng.randint(50, 9000)),
                fund_paid=Decimal(rng.randint(20, 5000)),
            )
            for r in rows[::4]
        ]
        for s in settlements:
            if s.place != SettlementPlace.IN_COUNTY:
                s.institution, s.place_name = None, "市级医院"
        SettlementRecord.objects.bulk_create(settlements, batch_size=BATCH)
        written_e += n
        written_s += len(settlements)
    return written_e, written_s


def run(args: argparse.Namespace) -> None:
    workdir = tempfile.TemporaryDirectory(prefix="lianxin-bench-")
    os.environ["LIANXIN_MODE"] = "demo"
    os.environ.setdefault("LIANXIN_DATA_DIR", workdir.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    os.environ.setdefault("LIANXIN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lianxin.demo.build import build_county
    from lianxin.demo.context import DemoOptions
    from lianxin.indicators import queries
    from lianxin.indicators.models import EncounterRecord, SettlementRecord
    from lianxin.indicators.periods import Period
    from lianxin.indicators.rules import EDITIONS
    from lianxin.network.models import Community, CommunityKind

    call_command("migrate", verbosity=0)
    if connection.vendor != "sqlite":
        call_command("flush", interactive=False, verbosity=0)
    today = timezone.localdate()
    started = time.perf_counter()
    build_county(DemoOptions(today=today))
    year = today.year - 1
    added = add_rows(args.encounters, year)
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    print(machine())
    engine = f"PostgreSQL {postgres_version()}" if connection.vendor != "sqlite" else "SQLite"
    print(
        f"{engine}; {EncounterRecord.objects.count():,} encounter rows "
        f"({added[0]:,} single encounters added for {year}), "
        f"{SettlementRecord.objects.count():,} settlement rows; built in {built:.0f} s"
    )
    community = Community.objects.get(kind=CommunityKind.COUNTY)
    from lianxin.core.models import User

    reader = User.objects.get(username="commission")
    scope = queries.resolve_scope(reader, community.external_id)
    edition = EDITIONS["2024"]
    period = Period("year", year)

    def timed(label: str, fn):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - t0
        print(f"  {label:<44} {elapsed * 1000:8.0f} ms  {len(ctx.captured_queries):4d} queries")
        return result

    def trivial() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    t0 = time.perf_counter()
    for _ in range(100):
        trivial()
    trivial_ms = (time.perf_counter() - t0) * 10
    print(f"  trivial query (SELECT 1)                     {trivial_ms:8.3f} ms")
    for run_number in range(args.runs):
        cache.clear()
        board = timed(
            f"cold: 14 indicators, {year} (run {run_number + 1})",
            lambda: queries.dashboard(scope, period, edition, with_trend=False),
        )
        timed(
            "warm: 14 indicators (figure cache)",
            lambda: queries.dashboard(scope, period, edition, with_trend=False),
        )
    cache.clear()
    timed(
        "cold: dashboard with 5-year trends (70 figures)",
        lambda: queries.dashboard(scope, period, edition, with_trend=True),
    )
    for _aspect, rows in board.aspects:
        for row in rows:
            f = row.figure
            rows_behind = sum(s.rows for s in f.sources)
            print(
                f"    {f.indicator.number:2d} {f.status:<12} {f.value!s:>12} "
                f"{f.indicator.unit or ('%' if f.indicator.percent else '')}  rows {rows_behind:,}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encounters", type=int, default=1_500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
        run(args)
        return
    with bench_database("lianxin_bench_indicators") as (url, _created):
        os.environ["DATABASE_URL"] = url
        run(args)


if __name__ == "__main__":
    main()
