"""The imaging reading worklist and "recognisable results for this patient and item" with
500,000 exams and 300,000 residents in the database.

    .venv/bin/python bench/diagnostics_worklist.py     # 300,000 residents, 500,000 exams
    .venv/bin/python bench/diagnostics_worklist.py --residents 20000 --exams 50000 --requests 50
    DATABASE_URL=postgres://…/kept .venv/bin/python bench/diagnostics_worklist.py --reuse

On PostgreSQL: ``DATABASE_URL`` if set (migrated and EMPTIED first), else a new database
``lianxin_bench_diagnostics`` on the local server, dropped at the end. Builds the demo county
(with its own year of referrals and exams), then adds exams with the demo's generator
(``lianxin.diagnostics.demo.Generator``: the county's mix over a year, the last hours still open)
until the database holds ``--exams``. Then times ``--requests`` requests through Django's test
client (in process, no server) as the demo ``imaging`` reader: the HTML worklist (waiting
studies; and CT only) and the API worklist; and, for random residents and exam items, the
recognisable-results query (``queries.recognisable_results``) and the API endpoint as the
township doctor. Prints p50/p95 and SQL queries per request, and the ``EXPLAIN ANALYZE`` of the
worklist's (waiting and reported) and the recognisable-results' main SELECT.

``--reuse`` (with ``DATABASE_URL``) measures the exams already in that database: it only applies
new migrations, so the same data can be measured before and after a change of index.
"""

from __future__ import annotations

import argparse
import datetime
import random
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

DEMO_USERS = ("imaging", "township")


def time_calls(call, count: int) -> tuple[list[float], list[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seconds, queries = [], []
    for n in range(count):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            call(n)
            seconds.append(time.perf_counter() - began)
        queries.append(len(captured.captured_queries))
    return seconds, queries


def explain(queryset) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=300_000)
    parser.add_argument("--exams", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with DATABASE_URL: measure the exams already there (migrate only, no build)",
    )
    args = parser.parse_args()

    with (
        bench_database("lianxin_bench_diagnostics") as (url, created),
        tempfile.TemporaryDirectory(prefix="lianxin-bench-") as data_dir,
    ):
        setup_django(server_environment(url, data_dir))
        from django.db import connection
        from django.test import Client

        from lianxin.diagnostics.demo import Generator
        from lianxin.diagnostics.demo_steps import setting_for
        from lianxin.diagnostics.models import ExamItem, ExamOrder, Recognition
        from lianxin.diagnostics.queries import recognisable_results, worklist
        from lianxin.patients.models import Patient

        print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; machine: {machine()}")
        print(f"database: PostgreSQL {postgres_version()} ({'new' if created else 'given'})")
        if args.reuse and not created:
            from django.core.management import call_command

            from lianxin.core.models import User

            call_command("migrate", verbosity=0)
            users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}
            membership = users["imaging"].memberships.select_related("institution").first()
            hospital, fill_seconds = membership.institution, 0.0
            print(f"reusing the {ExamOrder.objects.count():,} exams in the database")
        else:
            county, build_seconds = migrate_and_build(args.residents)
            print(f"demo county: {args.residents:,} residents, built in {build_seconds:.1f} s")
            started = time.perf_counter()
            missing = args.exams - ExamOrder.objects.count()
            if missing > 0:
                Generator(setting_for(county), random.Random(3)).write(missing)
            fill_seconds = time.perf_counter() - started
            users = {name: county.accounts[name][0] for name in DEMO_USERS}
            hospital = county.county_hospital
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        waiting = ExamOrder.objects.filter(
            performer_institution=hospital, status="in-progress", owner__isnull=True
        )
        print(
            f"generated in {fill_seconds:.0f} s: {ExamOrder.objects.count():,} exams, "
            f"{Recognition.objects.count():,} recognition decisions; "
            f"{waiting.count():,} studies waiting at the county centres "
            f"({waiting.filter(centre_type='imaging').count():,} imaging)"
        )

        reader = users["imaging"]
        client = Client()
        client.force_login(reader)
        client.get("/diagnostics/worklist/")
        for label, path in (
            ("HTML worklist, waiting, page 1", "/diagnostics/worklist/"),
            ("HTML worklist, CT only", "/diagnostics/worklist/?modality=CT"),
            ("HTML worklist, reported, page 1", "/diagnostics/worklist/?state=reported"),
            (
                "API worklist, waiting",
                "/api/exam-orders/?box=worklist&status=in-progress&claimed=false",
            ),
        ):
            seconds, queries = time_calls(lambda n, p=path: client.get(p).content, args.requests)
            print(f"{label:36} {describe_ms(seconds)}  queries {max(queries)}")

        rng = random.Random(5)
        patient_ids = list(Patient.objects.values_list("pk", flat=True))
        exams = list(ExamItem.objects.all())
        doctor = users["township"]
        township = doctor.memberships.select_related("institution").first().institution
        pairs = [
            (Patient.objects.get(pk=rng.choice(patient_ids)), rng.choice(exams))
            for _ in range(args.requests)
        ]
        with_priors = ExamOrder.objects.filter(status="completed").values_list(
            "patient_id", "exam_id"
        )[: args.requests]
        pairs += [(Patient.objects.get(pk=p), ExamItem.objects.get(pk=e)) for p, e in with_priors]
        seconds, queries = time_calls(
            lambda n: list(recognisable_results(*pairs[n], township)), len(pairs)
        )
        found = sum(1 for p, e in pairs if recognisable_results(p, e, township).exists())
        print(
            f"{'recognisable results (query)':36} {describe_ms(seconds)}  queries {max(queries)}"
            f"  ({len(pairs)} patient/item pairs, {found} with a recognisable result)"
        )
        api = Client()
        api.force_login(doctor)
        local = list(
            Patient.objects.visible_to(doctor).values_list("external_id", flat=True)[:2000]
        )
        codes = [e.code for e in exams]
        seconds, queries = time_calls(
            lambda n: (
                api.get(
                    f"/api/recognitions/?patient={rng.choice(local)}&exam={rng.choice(codes)}"
                ).content
            ),
            args.requests,
        )
        print(f"{'API recognisable results':36} {describe_ms(seconds)}  queries {max(queries)}")

        print("\nEXPLAIN ANALYZE, imaging worklist (waiting):")
        print(
            explain(
                worklist(
                    ExamOrder.objects.all(),
                    institution_ids=[hospital.pk],
                    centre_type="imaging",
                )[:30]
            )
        )
        print("\nEXPLAIN ANALYZE, worklist (reported, page 1):")
        print(
            explain(
                worklist(
                    ExamOrder.objects.visible_to(reader),
                    institution_ids=[hospital.pk],
                    state="reported",
                )[:30]
            )
        )
        patient, exam = pairs[-1]
        print("\nEXPLAIN ANALYZE, recognisable results:")
        print(explain(recognisable_results(patient, exam, township)))


if __name__ == "__main__":
    main()
