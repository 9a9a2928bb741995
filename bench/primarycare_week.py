"""The family doctors' "this week" list and the team figures with 300,000 residents and a year
of follow-ups.

    .venv/bin/python bench/primarycare_week.py
    .venv/bin/python bench/primarycare_week.py --residents 300000 --requests 40

Builds the default demo county (5,000 residents) in PostgreSQL (``DATABASE_URL`` if set — EMPTIED
first, give it a database of its own — else a new database ``lianxin_bench_primarycare``, dropped
at the end), adds residents (without ID numbers, spread over the villages by the demo's weights)
up to ``--residents``, and regenerates the family-doctor year for all of them with the demo's
generator. Then times, through the Django test client after one warm-up: the week list of the
demo township's team lead (every village of the team) and of the village doctor (one village),
the team figures page for the lead and for the health commission (every team), and the Excel
export. Prints p50/p95/max and the SQL queries of each.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    bench_database,
    describe_ms,
    machine,
    migrate_and_build,
    postgres_version,
    server_environment,
    setup_django,
)


def add_residents(county, total: int, rng: random.Random) -> int:
    from lianxin.demo.residents import AGE_BANDS
    from lianxin.patients.models import Patient

    existing = Patient.objects.count()
    villages = county.villages
    weights = [rng.uniform(0.5, 1.5) for _ in villages]
    today = datetime.date.today()
    rows = []
    for n in range(max(0, total - existing)):
        band = rng.choices(range(len(AGE_BANDS)), weights=AGE_BANDS)[0]
        birth = today - datetime.timedelta(days=int((band * 5 + rng.random() * 5) * 365.25) + 1)
        village = rng.choices(villages, weights=weights)[0]
        rows.append(
            Patient(
                external_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                name=f"居民{n:06d}",
                name_initials="JM",
                sex=rng.choice("12"),
                birth_date=birth,
                division_code=village.division_code,
            )
        )
    Patient.objects.bulk_create(rows, batch_size=10_000)
    return len(rows)


def regenerate(county, rng: random.Random) -> object:
    from django.utils import timezone

    from lianxin.primarycare import demo
    from lianxin.primarycare.models import (
        Assessment,
        Contract,
        ContractPackage,
        FollowUpPlan,
        FollowUpPlanTransition,
        KeyPopulation,
        TeamVillage,
        Visit,
    )

    for model in (Assessment, Visit, FollowUpPlanTransition):
        model.objects.all().delete()
    FollowUpPlan.objects.all().delete()
    ContractPackage.objects.all().delete()
    Contract.objects.all().delete()
    KeyPopulation.objects.all().delete()
    team_of_village = {tv.village_id: tv.team for tv in TeamVillage.objects.select_related("team")}
    return demo.build_year(team_of_village, rng, timezone.now())


def time_page(client, path: str, requests: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm-up
    seconds = []
    queries = 0
    status = 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            seconds.append(time.perf_counter() - started)
        queries, status = len(captured), response.status_code
    return seconds, queries, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with (
        bench_database("lianxin_bench_primarycare") as (url, created),
        tempfile.TemporaryDirectory(prefix="lianxin-bench-") as data_dir,
    ):
        setup_django(server_environment(url, data_dir))
        from django.db import connection
        from django.test import Client

        from lianxin.primarycare.models import Assessment, Contract, FollowUpPlan, Visit

        print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; machine: {machine()}")
        print(f"database: PostgreSQL {postgres_version()} ({'new' if created else 'given'})")
        county, build_seconds = migrate_and_build(5000)
        print(f"demo county: 5,000 residents, built in {build_seconds:.1f} s")
        rng = random.Random(17)
        started = time.perf_counter()
        added = add_residents(county, args.residents, rng)
        written = regenerate(county, rng)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        open_plans = FollowUpPlan.objects.filter(status="in-progress")
        print(
            f"added {added:,} residents and regenerated in {time.perf_counter() - started:.0f} s: "
            f"{Contract.objects.count():,} contracts, {FollowUpPlan.objects.count():,} plans "
            f"({open_plans.overdue().count():,} overdue), {Visit.objects.count():,} visits, "
            f"{Assessment.objects.count():,} assessments; {written.teams} teams"
        )
        lead = county.accounts["township"][0]
        village = county.accounts["village"][0]
        commission = county.accounts["commission"][0]
        year = datetime.date.today().year
        cases = [
            ("week list, team lead (all villages)", lead, "/family-doctors/"),
            ("week list, village doctor", village, "/family-doctors/"),
            ("team figures, team lead", lead, f"/family-doctors/figures/?year={year}"),
            (
                "figures, commission (all teams)",
                commission,
                f"/family-doctors/figures/?year={year}",
            ),
            ("Excel export, commission", commission, f"/family-doctors/figures.xlsx?year={year}"),
        ]
        for label, user, path in cases:
            client = Client()
            client.force_login(user)
            seconds, queries, status = time_page(client, path, args.requests)
            print(f"{label:40s} {describe_ms(seconds)}  {queries} queries  HTTP {status}")
        if created:
            connection.close()


if __name__ == "__main__":
    main()
