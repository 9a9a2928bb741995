"""Time building the demo county at a given size.

    .venv/bin/python bench/demo_build.py --residents 300000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench \\
        .venv/bin/python bench/demo_build.py --residents 300000

On SQLite (no DATABASE_URL) it builds into a new file in a temporary directory and removes it
afterwards. On PostgreSQL the database named by DATABASE_URL is EMPTIED first (flush), so give it
a database of its own. Prints the time of each build step, the total (wall clock, and the CPU
time of this process: on a shared machine the two differ), residents per second, rows written and
the database size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--villages", type=int, default=150)
    parser.add_argument("--seed", type=int, default=627)
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="lianxin-bench-")
    os.environ["LIANXIN_MODE"] = "demo"
    os.environ.setdefault("LIANXIN_DATA_DIR", workdir.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    os.environ.setdefault("LIANXIN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from lianxin.demo.build import build_county
    from lianxin.demo.context import DemoOptions
    from lianxin.patients.models import Patient, PatientIdentifier

    engine = connection.vendor
    started = time.perf_counter()
    if engine != "sqlite":
        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started

    print(
        f"database: {engine}; residents {args.residents:,}; villages {args.villages}; "
        f"seed {args.seed}; cores {os.cpu_count()}"
    )
    print(f"{'migrate':<12} {migrate_seconds:8.1f} s")
    cpu_started = time.process_time()
    county = build_county(
        DemoOptions(residents=args.residents, villages=args.villages, seed=args.seed),
        progress=lambda step, seconds: print(f"{step:<12} {seconds:8.1f} s", flush=True),
    )
    total = county.timings["total"]
    cpu = time.process_time() - cpu_started
    print(f"{'build total':<12} {total:8.1f} s wall, {cpu:.1f} s CPU of this process")
    if args.residents:
        rate = args.residents / county.timings["residents"]
        print(f"residents per second (residents step): {rate:,.0f}")
        print(f"residents per second (whole build):    {args.residents / total:,.0f}")
    print(
        f"rows: {Patient.objects.count():,} patients, "
        f"{PatientIdentifier.objects.count():,} identifiers"
    )
    if engine == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    print(f"database size: {size / 1e6:,.0f} MB")
    connection.close()
    workdir.cleanup()


if __name__ == "__main__":
    main()
