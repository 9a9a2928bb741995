"""What a site can do: ``capabilities_many`` over every institution and ``sites_with`` for one
capability, now (current equipment status) and at a past moment (the status history).

    .venv/bin/python bench/outreach_capabilities.py
    .venv/bin/python bench/outreach_capabilities.py --changes 50 --runs 20
    .venv/bin/python bench/outreach_capabilities.py --postgres --changes 50

It builds the default demo county (5,000 residents, 169 institutions, a year of postings). On
SQLite (the default) into a new file in a temporary directory, removed afterwards. With
``--postgres``: into ``DATABASE_URL`` if set (EMPTIED first: give it a database of its own), else
into a new database ``lianxin_bench_outreach`` on the local server, dropped at the end.
``--changes N`` then adds about N more status changes to every piece in use over the past year
(two-day breakdowns, each repaired, staggered from piece to piece), so the past-moment path reads
a deep history. Prints, for each call, the median and the slowest of ``--runs`` runs after one
warm-up, its SQL queries, and what it found.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_database, machine, postgres_version


def add_history(changes: int, today: datetime.date) -> int:
    """About ``changes`` more entries for each piece in use: breakdowns of two days, each
    repaired, spread over the year before ``today`` (staggered from piece to piece), so every
    history still ends in the current status. Returns how many entries were written."""
    from django.utils import timezone

    from lianxin.network.models import Equipment, EquipmentStatusChange

    pairs = max(1, changes // 2)
    interval = max(3, 360 // pairs)
    rows = []
    for pk in Equipment.objects.filter(status="in_use").values_list("pk", flat=True):
        for k in range(pairs):
            broke = today - datetime.timedelta(days=3 + pk % interval + k * interval)
            for status, day in (("broken", broke), ("in_use", broke + datetime.timedelta(days=2))):
                rows.append(
                    EquipmentStatusChange(
                        equipment_id=pk,
                        status=status,
                        changed_at=timezone.make_aware(
                            datetime.datetime.combine(day, datetime.time(12))
                        ),
                    )
                )
    EquipmentStatusChange.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def measure(label: str, call, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    seconds = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            found = call()
            seconds.append(time.perf_counter() - began)
    print(
        f"{label:58s} median {statistics.median(seconds) * 1000:7.1f} ms"
        f"  max {max(seconds) * 1000:7.1f} ms  queries {len(captured.captured_queries):2d}"
        f"  {found}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        with bench_database("lianxin_bench_outreach") as (url, _created):
            os.environ["DATABASE_URL"] = url
            run(args)
    else:
        os.environ.pop("DATABASE_URL", None)
        run(args)


def run(args: argparse.Namespace) -> None:
    workdir = tempfile.TemporaryDirectory(prefix="lianxin-bench-")
    os.environ["LIANXIN_MODE"] = "demo"
    os.environ.setdefault("LIANXIN_DATA_DIR", workdir.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    os.environ.setdefault("LIANXIN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from lianxin.demo.build import build_county
    from lianxin.demo.context import DemoOptions
    from lianxin.network.models import Equipment, EquipmentStatusChange, Institution
    from lianxin.outreach.queries import capabilities_many, sites_with

    call_command("migrate", verbosity=0)
    if connection.vendor != "sqlite":
        call_command("flush", interactive=False, verbosity=0)
    today = timezone.localdate()
    build_county(DemoOptions(today=today))
    if args.changes:
        add_history(args.changes, today)
    ids = list(Institution.objects.values_list("pk", flat=True))
    print(machine())
    engine = f"PostgreSQL {postgres_version()}" if connection.vendor != "sqlite" else "SQLite"
    print(
        f"{engine}; {len(ids)} institutions, {Equipment.objects.count()} pieces of "
        f"equipment, {EquipmentStatusChange.objects.count()} history entries"
    )
    yesterday = timezone.now() - datetime.timedelta(days=1)
    broken = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=39), datetime.time(12))
    )

    def many(at):
        return lambda: f"{sum(len(s.codes) for s in capabilities_many(ids, at).values())} codes"

    def with_code(code, at):
        return lambda: f"{len(sites_with(code, at))} sites"

    runs = args.runs
    measure("capabilities_many(all) now", many(None), runs)
    measure("capabilities_many(all) yesterday (history)", many(yesterday), runs)
    measure("capabilities_many(all) 39 days ago (history)", many(broken), runs)
    for code in ("thrombolysis_stroke", "ct"):
        measure(f'sites_with("{code}") now', with_code(code, None), runs)
        measure(f'sites_with("{code}") 39 days ago (history)', with_code(code, broken), runs)
    connection.close()
    workdir.cleanup()


if __name__ == "__main__":
    main()
