"""The incoming referral worklist of a county department with 200,000 referrals in the database.

    .venv/bin/python bench/referrals_worklist.py                  # 200,000 referrals
    .venv/bin/python bench/referrals_worklist.py --referrals 20000 --requests 50   # quick

On PostgreSQL: ``DATABASE_URL`` if set (migrated and EMPTIED first), else a new database
``lianxin_bench_referrals_worklist`` on the local server, dropped at the end. Builds the demo county
(5,000 residents, with its own year of referrals), then adds referrals with the demo's generator
(``lianxin.referrals.demo.add_referrals``: the county's usual mix, so most go to other departments
and institutions) until the database holds ``--referrals``. Then, for the demo ``specialist`` (a
member of county cardiology), times ``--requests`` requests of each page through Django's test
client (in process, no server): the HTML worklist (``/referrals/?mine=1``: open items of their
department) and the API list (``/api/referrals/?box=incoming``: everything their institution
received), first page and a deep page, and the sent box of their institution (the county
hospital's down-referrals). Prints p50/p95 and the SQL queries per request, and the
``EXPLAIN ANALYZE`` of the main SELECT (the one with the ``ORDER BY … LIMIT``) of five of the
pages, as the page sent it.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
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


def fill(county, target: int) -> float:
    from lianxin.referrals.demo import add_referrals
    from lianxin.referrals.models import Referral

    missing = target - Referral.objects.count()
    started = time.perf_counter()
    if missing > 0:
        add_referrals(
            county,
            missing,
            seed=2,
            progress=lambda w: print(
                f"  … {w.referrals:,} referrals, {w.transitions:,} history rows "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            ),
        )
    return time.perf_counter() - started


def time_page(
    client, path: str, requests: int, budget: float
) -> tuple[list[float], list[int], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seconds, queries = [], []
    size = status = 0
    stop = time.monotonic() + budget
    for _ in range(requests):
        if time.monotonic() > stop:
            break
        # The log keeps the last 9,000 queries; start each request with it empty, or the
        # context's before/after indexes stop counting once it is full.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(path)
            content = response.content
            seconds.append(time.perf_counter() - began)
        queries.append(len(captured.captured_queries))
        size, status = len(content), response.status_code
    return seconds, queries, size, status


def explain_page(client, path: str) -> str:
    """``EXPLAIN ANALYZE`` of the page's main SELECT (of referrals, with ORDER BY and LIMIT)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    main = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "referrals_referral"' in q["sql"]
        and "ORDER BY" in q["sql"]
        and "LIMIT" in q["sql"]
    ]
    if not main:
        return "(no ordered, limited SELECT of referrals)"
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + main[0])  # the page's own SQL, as Django sent it
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument(
        "--seconds-per-page", type=float, default=120, help="stop a page's requests after this"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with DATABASE_URL: measure the referrals already there (no build, no flush)",
    )
    args = parser.parse_args()

    with (
        bench_database("lianxin_bench_referrals_worklist") as (url, created),
        tempfile.TemporaryDirectory(prefix="lianxin-bench-") as data_dir,
    ):
        setup_django(server_environment(url, data_dir))
        from django.db import connection
        from django.test import Client

        from lianxin.core.access import access_for
        from lianxin.core.workflow import OPEN_STATUSES
        from lianxin.referrals.models import Referral, ReferralTransition

        print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; machine: {machine()}")
        print(f"database: PostgreSQL {postgres_version()} ({'new' if created else 'given'})")
        if args.reuse and not created:
            from lianxin.core.models import User

            user, fill_seconds = User.objects.get(username="specialist"), 0.0
            print("reusing the referrals in the database")
        else:
            county, build_seconds = migrate_and_build(args.residents)
            print(f"demo county: {args.residents:,} residents, built in {build_seconds:.1f} s")
            fill_seconds = fill(county, args.referrals)
            user = county.accounts["specialist"][0]
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        access = access_for(user)
        department = next(iter(access.department_ids))
        hospital = next(iter(access.institution_ids))
        total = Referral.objects.count()
        to_hospital = Referral.objects.filter(performer_institution_id=hospital).count()
        to_department = Referral.objects.filter(performer_department_id=department).count()
        open_mine = Referral.objects.filter(
            performer_department_id=department, status__in=OPEN_STATUSES
        ).count()
        sent = Referral.objects.filter(requester_institution_id=hospital).count()
        print(
            f"generated in {fill_seconds:.0f} s: {total:,} referrals, "
            f"{ReferralTransition.objects.count():,} history rows; "
            f"{to_hospital:,} to the county hospital ({to_hospital / total:.0%}), "
            f"{to_department:,} to county cardiology ({to_department / total:.0%}), "
            f"{open_mine:,} of them open; {sent:,} sent by the county hospital"
        )

        client = Client()
        client.force_login(user)
        api_count = client.get("/api/referrals/?box=incoming").json()["count"]
        api_deep = max(1, min(api_count // 50 // 2, 400))
        html_all = (
            Referral.objects.filter(performer_institution_id=hospital)
            .filter(performer_department_id=department)
            .count()
            + Referral.objects.filter(
                performer_institution_id=hospital, performer_department__isnull=True
            ).count()
        )
        html_deep = max(1, min(html_all // 25 // 2, 400))
        pages = [
            ("HTML mine, open, page 1", "/referrals/?mine=1"),
            ("HTML mine, all, page 1", "/referrals/?mine=1&status="),
            (f"HTML mine, all, page {html_deep}", f"/referrals/?mine=1&status=&page={html_deep}"),
            ("API incoming, page 1", "/api/referrals/?box=incoming"),
            (f"API incoming, page {api_deep}", f"/api/referrals/?box=incoming&page={api_deep}"),
            ("API incoming open, page 1", "/api/referrals/?box=incoming&status=open"),
            ("API sent, page 1", "/api/referrals/?box=sent"),
            ("HTML sent, all, page 1", "/referrals/sent/?status="),
        ]
        print(
            f"\nuser: specialist (county cardiology); API incoming count {api_count:,} "
            f"(50 a page); HTML 'mine, all' {html_all:,} (25 a page)"
        )
        for _, path in pages:  # warm-up: caches, connection, first compile
            client.get(path)
        for label, path in pages:
            seconds, queries, size, status = time_page(
                client, path, args.requests, args.seconds_per_page
            )
            print(
                f"  {label:<28} {status} {size / 1024:5.0f} KiB n={len(seconds):<3} "
                f"{describe_ms(seconds)}  "
                f"queries/request {min(queries)}–{max(queries)}"
            )

        explained = [
            ("HTML mine, open, page 1", pages[0][1]),
            (f"HTML mine, all, page {html_deep}", pages[2][1]),
            ("API incoming, page 1", pages[3][1]),
            (f"API incoming, page {api_deep}", pages[4][1]),
            ("API sent, page 1", pages[6][1]),
        ]
        for label, path in explained:
            print(f"\nEXPLAIN ANALYZE, {label} ({path}):")
            print(explain_page(client, path))
        connection.close()


if __name__ == "__main__":
    main()
