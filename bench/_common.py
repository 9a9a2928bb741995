"""Helpers the referral benchmarks share: a database of their own, Django set-up, percentiles.

Not a benchmark itself (the leading underscore keeps it out of ``bench/*.py`` listings).
"""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER_URL = "postgres://postgres@127.0.0.1:5432/"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def bench_database(default_name: str) -> Iterator[tuple[str, bool]]:
    """The PostgreSQL database to run in: ``DATABASE_URL`` if set (used as it is), else a new
    database ``default_name`` created now and dropped on exit. Yields (url, created)."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given, False
        return
    import psycopg

    admin = _with_database(SERVER_URL, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{default_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{default_name}"')
    url = _with_database(SERVER_URL, default_name)
    try:
        yield url, True
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{default_name}" WITH (FORCE)')


def server_environment(database_url: str, data_dir: str) -> dict[str, str]:
    """The environment of a production-mode process on this machine's loopback."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "LIANXIN_MODE": "production",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "LIANXIN_DATA_DIR": data_dir,
            "LIANXIN_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "lianxin.settings",
        }
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def migrate_and_build(residents: int, seed: int = 627) -> tuple[object, float]:
    """Migrate, empty, and build a demo county of ``residents``; returns (county, seconds)."""
    from django.core.management import call_command

    from lianxin.demo.build import build_county
    from lianxin.demo.context import DemoOptions

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    county = build_county(DemoOptions(residents=residents, seed=seed))
    return county, time.perf_counter() - started


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100), nearest rank, of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def describe_ms(values: Sequence[float]) -> str:
    """p50 / p95 / max (and mean) of durations given in seconds, in milliseconds."""
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 50) * 1000:7.1f} ms  p95 {percentile(values, 95) * 1000:7.1f} ms"
        f"  max {max(values) * 1000:7.1f} ms  mean {statistics.mean(values) * 1000:7.1f} ms"
    )


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {' '.join(f'{x:.1f}' for x in load)}"
    )


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]
