"""Build the demo county: run the registered steps in one transaction, then audit the history.

This is fixture generation of a synthetic world, not user activity: the steps write rows directly
(``bulk_create``); the last step writes the audit rows of that history afterwards, in time order
and hash-chained (``lianxin.demo.history``), and a summary row ``demo.build`` closes the build.
The whole build is one transaction, so a failed build leaves nothing behind and a finished one is
recognised by its audit row.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction

from lianxin.core import audit
from lianxin.core.models import AuditEvent
from lianxin.core.notify import outbound_suppressed
from lianxin.demo import registry
from lianxin.demo.accounts import build_accounts
from lianxin.demo.context import DemoCounty, DemoOptions
from lianxin.demo.emergency_access import build_break_glass
from lianxin.demo.history import build_audit_history
from lianxin.demo.inbox import build_inbox
from lianxin.demo.network import build_network
from lianxin.demo.residents import build_residents
from lianxin.demo.workforce import build_workforce
from lianxin.network.models import Institution

BUILD_ACTION = "demo.build"
SQLITE_BUILD_CACHE_KIB = -512 * 1024  # negative: KiB, so 512 MB at most, used only as needed

registry.register_step("network", build_network, order=10)
registry.register_step("workforce", build_workforce, order=20)
registry.register_step("residents", build_residents, order=30)
registry.register_step("accounts", build_accounts, order=40)
registry.register_step("break-glass", build_break_glass, order=890)
# After every app's steps: replay the last days into the demo logins' inboxes.
registry.register_step("inbox", build_inbox, order=900)
# Last: the audit rows of everything generated, so the audit log holds the county's history.
registry.register_step("audit", build_audit_history, order=950)


def is_built() -> bool:
    return AuditEvent.objects.filter(action=BUILD_ACTION).exists()


def database_is_empty() -> bool:
    return not Institution.objects.exists()


@contextlib.contextmanager
def _large_page_cache() -> Iterator[None]:
    """On SQLite, a page cache large enough for the indexes being filled: with the default 2 MB
    the one big transaction spills pages to the WAL file over and over."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {SQLITE_BUILD_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def build_county(
    options: DemoOptions | None = None, *, progress: Callable[[str, float], Any] | None = None
) -> DemoCounty:
    """Generate the county into an empty database; ``progress(step, seconds)`` after each step."""
    options = options or DemoOptions()
    registry.discover()
    county = DemoCounty(options=options, rng=random.Random(options.seed))
    started = time.perf_counter()
    # A build writes what happened before now: its inboxes hold it, but nobody is texted about it.
    with transaction.atomic(), _large_page_cache(), outbound_suppressed():
        for step in registry.steps():
            began = time.perf_counter()
            step.fn(county)
            county.timings[step.name] = time.perf_counter() - began
            if progress is not None:
                progress(step.name, county.timings[step.name])
        county.timings["total"] = time.perf_counter() - started
        audit.record(
            BUILD_ACTION,
            actor="lianxin demo",
            target_type="demo.county",
            target_id=county.county_community.name if county.county_community else "",
            after={
                "residents": county.residents,
                "villages": len(county.villages),
                "practitioners": len(county.practitioners),
                "accounts": sorted(county.accounts),
                "seed": options.seed,
                "steps": [step.name for step in registry.steps()],
                "seconds": round(county.timings["total"], 1),
            },
        )
    return county
