"""Referral loops through the HTTP API: create → accept with a booked slot → arrive → complete.

    .venv/bin/python bench/referrals_api.py                       # 2,000 referrals, 8 clients
    .venv/bin/python bench/referrals_api.py --referrals 200 --clients 4   # a quick run

On PostgreSQL: ``DATABASE_URL`` if set (migrated and EMPTIED first), else a new database
``lianxin_bench_referrals_api`` on the local server, dropped at the end. The script builds a small
demo county, publishes reserved slots at county cardiology through the slot action, gives the
demo accounts ``township`` (a township doctor, who refers) and ``specialist`` (county cardiology,
who accepts, records the arrival and sends the outcome back) API tokens, and starts the real
server — ``lianxin serve`` (gunicorn, a worker process per core) in production mode on a free
loopback port — as a subprocess. Then ``--clients`` threads, each with its own keep-alive
connection (stdlib ``http.client``), take referrals from a shared counter and run the four
steps for each.

Prints throughput (referrals/s, requests/s), p50/p95/max latency per step, error counts and the
server settings. Stops issuing work after ``--max-minutes`` (default 15).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
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

STEPS = ("create", "accept", "arrive", "complete")
SLOT_MINUTES = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not answer in time")


def prepare(referrals: int) -> dict:
    """Accounts, tokens, patients and slots; everything the clients need, as public ids."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from lianxin.core.models import User
    from lianxin.patients.models import Patient
    from lianxin.referrals.actions import do_publish_slots
    from lianxin.workforce.models import Membership

    township = User.objects.get(username="township")
    specialist = User.objects.get(username="specialist")
    head = User.objects.get(username="head")
    department = Membership.objects.get(user=specialist).department
    patients = list(
        Patient.objects.visible_to(township).order_by("id").values_list("external_id", flat=True)
    )
    # Slots from tomorrow 08:00, every ten minutes around the clock, 200 per call (the action's
    # limit): enough for every referral, published the way a department head publishes them.
    start = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    start += datetime.timedelta(days=1)
    slots = []
    while len(slots) < referrals:
        count = min(200, referrals - len(slots))
        slots += do_publish_slots(
            actor=head, department=department, starts_at=start, minutes=SLOT_MINUTES, count=count
        )
        start += datetime.timedelta(minutes=SLOT_MINUTES * count)
    return {
        "township": Token.objects.get_or_create(user=township)[0].key,
        "specialist": Token.objects.get_or_create(user=specialist)[0].key,
        "institution": str(department.institution.external_id),
        "department": str(department.external_id),
        "patients": [str(p) for p in patients],
        "slots": [str(s.external_id) for s in slots],
    }


class Client:
    """One client thread's keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, token: str, body: dict) -> tuple[int, dict, float]:
        data = json.dumps(body).encode()
        headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        began = time.perf_counter()
        try:
            self.conn.request("POST", path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 0, {}, time.perf_counter() - began
        elapsed = time.perf_counter() - began
        try:
            parsed = json.loads(payload) if payload else {}
        except ValueError:
            parsed = {}
        return response.status, parsed, elapsed


def run_clients(port: int, plan: dict, referrals: int, clients: int, deadline: float) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    done = [0]
    lock = threading.Lock()
    counter = itertools.count()

    def worker() -> None:
        client = Client(port)
        while time.monotonic() < deadline:
            with lock:
                n = next(counter)
            if n >= referrals:
                return
            patient = plan["patients"][n % len(plan["patients"])]
            body = {
                "patient": patient,
                "direction": "up",
                "performer_institution": plan["institution"],
                "performer_department": plan["department"],
                "diagnosis_code": "I10",
                "diagnosis_text": "原发性高血压",
                "reason": "血压控制不佳，需专科调整用药",
            }
            steps = [
                ("create", "/api/referrals/", plan["township"], body, 201),
                ("accept", "/api/referrals/{id}/accept/", plan["specialist"],
                 {"slot": plan["slots"][n]}, 200),
                ("arrive", "/api/referrals/{id}/arrive/", plan["specialist"], {}, 200),
                ("complete", "/api/referrals/{id}/complete/", plan["specialist"],
                 {"outcome_summary": "予调整降压方案，血压控制达标，出院。"}, 200),
            ]  # fmt: skip
            referral_id = None
            for name, path, token, payload, expected in steps:
                status, answer, elapsed = client.post(path.format(id=referral_id), token, payload)
                with lock:
                    latencies[name].append(elapsed)
                    if status != expected:
                        errors[name].append(f"{status} {str(answer)[:200]}")
                if status != expected:
                    break
                referral_id = referral_id or answer.get("id")
            else:
                with lock:
                    done[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 120))
    return {
        "seconds": time.perf_counter() - began,
        "latencies": latencies,
        "errors": errors,
        "completed": done[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server-threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--server-workers", type=int, default=0, help="worker processes (0: one per core)"
    )
    parser.add_argument("--residents", type=int, default=2000, help="size of the demo county")
    parser.add_argument("--max-minutes", type=float, default=15)
    args = parser.parse_args()
    deadline = time.monotonic() + args.max_minutes * 60

    with (
        bench_database("lianxin_bench_referrals_api") as (url, created),
        tempfile.TemporaryDirectory(prefix="lianxin-bench-") as data_dir,
    ):
        env = server_environment(url, data_dir)
        setup_django(env)
        county, build_seconds = migrate_and_build(args.residents)
        plan = prepare(args.referrals)
        from django.db import connection

        print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; machine: {machine()}")
        print(
            f"database: PostgreSQL {postgres_version()} ({'new' if created else 'given'}); "
            f"demo county {args.residents:,} residents built in {build_seconds:.1f} s; "
            f"{len(plan['slots']):,} slots published"
        )
        connection.close()
        port = free_port()
        command = [
            sys.executable, "-m", "lianxin.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--threads", str(args.server_threads),
        ]  # fmt: skip
        if args.server_workers:
            command += ["--workers", str(args.server_workers)]
        log_path = Path(data_dir) / "server.log"
        log = log_path.open("w")
        server = subprocess.Popen(
            command,
            env=env,
            cwd=str(Path(__file__).resolve().parent.parent),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(port, server)
            print(
                f"server: lianxin serve (gunicorn), {args.server_workers or 'one per core'} "
                f"workers × {args.server_threads} threads, "
                f"LIANXIN_MODE=production, DEBUG off, CONN_MAX_AGE=60, pid {server.pid}"
            )
            print(f"clients: {args.clients} threads, keep-alive, API tokens")
            result = run_clients(port, plan, args.referrals, args.clients, deadline)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
        lines = log_path.read_text(errors="replace").splitlines()
        other = [line for line in lines if line.strip()]
        print(f"server log: {len(other)} lines")
        for line in other[:5]:
            print(f"  {line[:200]}")
        report(result, args)
        del county


def report(result: dict, args: argparse.Namespace) -> None:
    seconds = result["seconds"]
    requests = sum(len(v) for v in result["latencies"].values())
    print(
        f"\nreferrals completed: {result['completed']:,} of {args.referrals:,} "
        f"in {seconds:.1f} s wall"
    )
    print(
        f"throughput: {result['completed'] / seconds:.1f} referrals/s, "
        f"{requests / seconds:.1f} requests/s"
    )
    for name in STEPS:
        values = result["latencies"].get(name, [])
        print(f"  {name:<9} n={len(values):>6,}  {describe_ms(values)}")
    every = [v for values in result["latencies"].values() for v in values]
    print(f"  {'all':<9} n={len(every):>6,}  {describe_ms(every)}")
    total_errors = sum(len(v) for v in result["errors"].values())
    print(f"errors: {total_errors}")
    for name, messages in result["errors"].items():
        print(f"  {name}: {len(messages)}, e.g. {messages[0]}")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
