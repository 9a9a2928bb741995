"""Sterile supply: the recall query over 1,000,000 pack events, and a scan's round trip on the
scanning page through the real server.

    .venv/bin/python bench/sterile_recall.py                     # 1,000,000 events, 200 scans
    .venv/bin/python bench/sterile_recall.py --events 100000 --scans 50 --recalls 10

On PostgreSQL: ``DATABASE_URL`` if set (migrated and EMPTIED first), else a new database
``lianxin_bench_sterile`` on the local server, dropped at the end. Builds a small demo county
(its sterile step writes a year of the centre), then adds packs, loads and their events with
``generate_series`` until the event table holds ``--events``: each added pack goes round cycles
of eight events (collect, wash, pack, sterilise, store, issue, receive, use on a resident) and
each cycle's load is one of the added loads on the centre's sterilisers.

Recall: for ``--recalls`` random loads, the scope a positive BI recalls
(``queries.recall_loads``: every load on the steriliser since the last negative BI) and the trace
of every pack-cycle in it with its whereabouts and the patients touched
(``queries.trace_loads``), timed in process; and the whole ``do_open_recall`` (scope, trace,
items, notifications, audit) inside a transaction that is rolled back.

Scan: starts ``lianxin serve`` (gunicorn, production mode) on a loopback port (the first free
one of ``--port`` and the 99 after it), signs in as the demo ``cssd`` account through the login
form, and posts ``--scans`` issue scans of stored packs to ``/sterile/scan/issue/`` as the page's
htmx form does (the answer is the result fragment); timed from the request to the last byte of
the answer. A scan that is not the success fragment counts as refused and the first is printed:
the figures are of valid scans only when it says "0 refused".
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

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
from referrals_api import wait_for

CYCLE_STEPS = ("collect", "wash", "pack", "sterilise", "store", "issue", "receive", "use")


def port_in_range(first: int) -> int:
    for port in range(first, first + 100):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {first}-{first + 99}")


def fill(events: int) -> float:
    """Add packs, loads and eight-event cycles with SQL until there are ``events`` events."""
    from django.db import connection

    from lianxin.sterile.models import Machine, Pack, PackEvent

    missing = events - PackEvent.objects.count()
    if missing <= 0:
        return 0.0
    started = time.perf_counter()
    cycles = missing // len(CYCLE_STEPS)
    per_pack = 40
    packs = max(1, cycles // per_pack)
    template = Pack.objects.select_related("centre").first()
    machines = list(Machine.objects.filter(kind="steriliser").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM sterile_pack")
        first_pack = cursor.fetchone()[0] + 1
        cursor.execute(
            """
            INSERT INTO sterile_pack (external_id, created_at, updated_at, barcode,
                instrument_set_id, centre_id, home_id, location_id, status, cycle, packaging,
                recalled)
            SELECT gen_random_uuid(), now(), now(), 'BX' || lpad(g::text, 8, '0'), %s, %s, %s,
                %s, 'collected', %s, %s, false
            FROM generate_series(1, %s) g
            """,
            [template.instrument_set_id, template.centre_id, template.home_id,
             template.home_id, per_pack + 1, template.packaging, packs],
        )  # fmt: skip
        # One load per 20 cycles, two a day per steriliser going back from now.
        loads = max(1, cycles // 20)
        cursor.execute("SELECT COALESCE(MAX(cycle_number), 0) FROM sterile_sterilisationload")
        base_number = cursor.fetchone()[0] + 1
        cursor.execute(
            """
            INSERT INTO sterile_sterilisationload (external_id, created_at, updated_at,
                centre_id, machine_id, cycle_number, program, status, started_at, operator_id,
                has_implant, physical_ok, chemical_class, chemical_ok, bi_reason, bi_result,
                emergency_reason, problems, released_at)
            SELECT gen_random_uuid(), now(), now(), %s, (%s::bigint[])[1 + g %% %s],
                %s + g, 'PV134', 'released', now() - (g * interval '6 hours'),
                (SELECT operator_id FROM sterile_sterilisationload LIMIT 1), false, true, 5,
                true, CASE WHEN g %% 7 = 0 THEN 'weekly' ELSE '' END,
                CASE WHEN g %% 7 = 0 THEN 'negative' ELSE '' END, '', '', now()
            FROM generate_series(1, %s) g
            """,
            [template.centre_id, machines, len(machines), base_number, loads],
        )
        cursor.execute(
            "SELECT array_agg(id ORDER BY id) FROM sterile_sterilisationload "
            "WHERE cycle_number >= %s",
            [base_number],
        )
        load_ids = cursor.fetchone()[0]
        cursor.execute("SELECT array_agg(id) FROM (SELECT id FROM patients_patient LIMIT 5000) p")
        patient_ids = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id FROM workforce_practitioner WHERE institution_id = %s LIMIT 1",
            [template.home_id],
        )
        surgeon = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO sterile_packevent (pack_id, cycle, step, at, actor_id, institution_id,
                load_id, patient_id, procedure, surgeon_id, condition, note)
            SELECT %s + p - 1, c, s.step,
                now() - ((%s - c) * interval '5 days') + s.n * interval '3 hours', NULL, %s,
                CASE WHEN s.step IN ('sterilise', 'store')
                     THEN (%s::bigint[])[1 + (p * 7919 + c * 104729) %% %s] END,
                CASE WHEN s.step = 'use'
                     THEN (%s::bigint[])[1 + (p * 31 + c * 17) %% %s] END,
                CASE WHEN s.step = 'use' THEN '清创缝合术' ELSE '' END,
                CASE WHEN s.step = 'use' THEN %s END, '', ''
            FROM generate_series(1, %s) p, generate_series(1, %s) c,
                unnest(%s::text[]) WITH ORDINALITY AS s(step, n)
            """,
            [first_pack, per_pack, template.home_id, load_ids, len(load_ids), patient_ids,
             len(patient_ids), surgeon, packs, per_pack, list(CYCLE_STEPS)],
        )  # fmt: skip
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def time_recalls(count: int) -> None:
    from django.db import connection, transaction

    from lianxin.core.models import User
    from lianxin.sterile.actions import do_open_recall
    from lianxin.sterile.models import SterilisationLoad
    from lianxin.sterile.queries import recall_loads, trace_loads

    rng = random.Random(7)
    operator = User.objects.get(username="cssd")
    ids = list(SterilisationLoad.objects.values_list("id", flat=True))
    query_s, open_s, sizes = [], [], []
    for _ in range(count):
        load = SterilisationLoad.objects.select_related("machine__centre").get(pk=rng.choice(ids))
        began = time.perf_counter()
        scope = [x.pk for x in recall_loads("bi_positive", load=load)]
        traced = trace_loads(scope)
        query_s.append(time.perf_counter() - began)
        sizes.append((len(scope), len(traced), sum(1 for t in traced if t.use is not None)))
        began = time.perf_counter()
        with transaction.atomic():
            do_open_recall(actor=operator, reason="bi_positive", load=load)
            transaction.set_rollback(True)
        open_s.append(time.perf_counter() - began)
    print(f"recall scope + trace (query):      {describe_ms(query_s)}")
    print(f"do_open_recall (rolled back):      {describe_ms(open_s)}")
    loads = sorted(s[0] for s in sizes)
    packs = sorted(s[1] for s in sizes)
    print(
        f"per recall: loads {loads[0]}–{loads[-1]} (median {loads[len(loads) // 2]}), "
        f"pack-cycles {packs[0]}–{packs[-1]} (median {packs[len(packs) // 2]}), "
        f"patients median {sorted(s[2] for s in sizes)[len(sizes) // 2]}"
    )
    with connection.cursor() as cursor:
        sql = (
            "EXPLAIN ANALYZE SELECT pack_id, cycle, load_id FROM sterile_packevent "
            "WHERE load_id = ANY(%s) AND step = 'sterilise'"
        )
        cursor.execute(sql, [scope])
        print("plan of the sterilised-in-scope scan:")
        print("\n".join(f"    {row[0]}" for row in cursor.fetchall()))


class Session:
    """A browser-like session on one keep-alive connection: cookies and the CSRF token."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        head = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        head.update(headers or {})
        data = None
        if body is not None:
            data = urlencode(body)
            head["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=head)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def login(self, username: str, password: str) -> None:
        _status, page = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST",
            "/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token},
            {"Referer": "http://127.0.0.1/login/"},
        )
        if status != 302:
            raise SystemExit(f"login failed ({status})")


def time_scans(port: int, count: int) -> None:
    from django.utils import timezone

    from lianxin.demo.context import DEMO_PASSWORD
    from lianxin.network.models import Institution
    from lianxin.sterile.models import Pack

    branch = Institution.objects.filter(home_packs__isnull=False).distinct().first()
    later = timezone.now() + datetime.timedelta(days=30)
    codes = list(
        Pack.objects.filter(barcode__startswith="BX").values_list("barcode", flat=True)[:count]
    )
    Pack.objects.filter(barcode__in=codes).update(status="stored", expires_at=later)
    session = Session(port)
    session.login("cssd", DEMO_PASSWORD)
    session.request("GET", "/sterile/scan/issue/")
    seconds, errors = [], 0
    for code in codes:
        began = time.perf_counter()
        status, text = session.request(
            "POST",
            "/sterile/scan/issue/",
            {"step": "issue", "barcode": code, "branch": str(branch.external_id)},
            {"HX-Request": "true", "X-CSRFToken": session.cookies.get("csrftoken", ""),
             "Referer": f"http://127.0.0.1:{port}/sterile/scan/issue/"},
        )  # fmt: skip
        seconds.append(time.perf_counter() - began)
        if status != 200 or 'role="alert"' in text:
            errors += 1
            if errors == 1:
                print(f"first refusal ({status}): {re.sub(r'<[^>]+>', '', text)[:300]}")
    print(f"issue scan round trip ({len(codes)} scans, {errors} refused): {describe_ms(seconds)}")
    # And the refusal of a repeated scan (wrong state): the same path, nothing written.
    seconds = []
    for code in codes[: max(1, len(codes) // 4)]:
        began = time.perf_counter()
        session.request(
            "POST",
            "/sterile/scan/issue/",
            {"step": "issue", "barcode": code, "branch": str(branch.external_id)},
            {"HX-Request": "true", "X-CSRFToken": session.cookies.get("csrftoken", ""),
             "Referer": f"http://127.0.0.1:{port}/sterile/scan/issue/"},
        )  # fmt: skip
        seconds.append(time.perf_counter() - began)
    print(f"refused scan round trip ({len(seconds)} scans): {describe_ms(seconds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--recalls", type=int, default=30)
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument(
        "--port", type=int, default=21600, help="the first of 100 loopback ports to try"
    )
    args = parser.parse_args()
    with (
        bench_database("lianxin_bench_sterile") as (url, created),
        tempfile.TemporaryDirectory(prefix="lianxin-bench-") as data_dir,
    ):
        env = server_environment(url, data_dir)
        setup_django(env)
        from lianxin.sterile.models import PackEvent, SterilisationLoad

        print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; machine: {machine()}")
        print(f"database: PostgreSQL {postgres_version()} ({'new' if created else 'given'})")
        _county, build_seconds = migrate_and_build(args.residents)
        print(f"demo county: {args.residents:,} residents, built in {build_seconds:.1f} s")
        fill_seconds = fill(args.events)
        print(
            f"filled in {fill_seconds:.0f} s: {PackEvent.objects.count():,} pack events, "
            f"{SterilisationLoad.objects.count():,} loads"
        )
        time_recalls(args.recalls)
        port = port_in_range(args.port)
        server = subprocess.Popen(
            [sys.executable, "-m", "lianxin.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--threads", "4"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(port, server)
            print(f"server: lianxin serve (gunicorn), production mode, port {port}")
            time_scans(port, args.scans)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
