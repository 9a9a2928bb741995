"""HL7 v2 results in: ORU^R01 messages per second, each acknowledged (AA after its commit), sent
by python-hl7's MLLP client to ``lianxin hl7`` on one connection and on four at once.

    .venv/bin/python bench/hl7_throughput.py --db sqlite [--messages 200]
    .venv/bin/python bench/hl7_throughput.py --db postgres [--messages 200]

Each message is a final blood count (3 OBX) for an order of its own: parse and validate
(hl7apy), map, store the signed report version and its values, the log row and the audit rows.
Before the runs it prints, in this process, the median cost of parsing and validating one
message — hl7apy's strict parse (the old path) against python-hl7's parse with the validation
against hl7apy's definitions (``lianxin.interfaces.hl7.validation``, the path taken) — and the
queries one message takes (``handle_text`` on an order of its own).

The listener binds 127.0.0.1:21300 (h13's range) unless --port says otherwise, and runs the
code of this checkout (PYTHONPATH). With ``DATABASE_URL`` set, that PostgreSQL database is used
as it is (migrated, not emptied); the control IDs carry a token of the run, so a second run in
the same database is not answered "duplicate" without storing anything.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from _common import ROOT, bench_database, machine, server_environment, setup_django


def _fixtures(count: int) -> list[str]:
    from lianxin.core.models import User
    from lianxin.diagnostics import actions
    from lianxin.diagnostics.catalogue import sync_catalogue
    from lianxin.diagnostics.models import ExamItem, ServiceAgreement
    from lianxin.interfaces.hl7.mappings import sync_default_mappings
    from lianxin.interfaces.models import Hl7Peer
    from lianxin.testing.factories import DepartmentFactory
    from lianxin.testing.personas import build_personas

    sync_catalogue()
    sync_default_mappings()
    personas = build_personas()
    lab = DepartmentFactory(
        institution=personas.county_a,
        name="检验中心",
        code="JYZX",
        kind="shared_centre",
        centre_type="laboratory",
    )
    ServiceAgreement.objects.create(
        site=personas.township_a, centre=lab, centre_type="laboratory", starts_on="2020-01-01"
    )
    Hl7Peer.objects.create(
        name="LIS",
        sending_application="LIS",
        sending_facility="COUNTYLAB",
        institution=personas.county_a,
        user=User.objects.create(username="hl7-lis", display_name="县检验中心LIS"),
    )
    cbc = ExamItem.objects.get(code="CBC")
    return [
        actions.do_order_exam(
            actor=personas.doctor, patient=personas.patient, exam=cbc
        ).accession_number
        for _ in range(count)
    ]


def _parse_costs(messages: list[str]) -> tuple[float, float]:
    import hl7
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.parser import parse_message

    from lianxin.interfaces.hl7.validation import check_message

    def median_ms(work) -> float:
        times = []
        for message in messages:
            started = time.perf_counter()
            work(message)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    old = median_ms(
        lambda m: parse_message(m, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    )
    new = median_ms(lambda m: check_message(hl7.parse(m), "2.5.1", "ORU_R01"))
    return old, new


def _queries(accession: str) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lianxin.interfaces.hl7.inbound import handle_text
    from lianxin.interfaces.hl7.samples import oru

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        assert handle_text(oru(f"Q{secrets.token_hex(4)}", accession)).outcome == "AA"
        seconds = time.perf_counter() - started
    return len(captured.captured_queries), seconds * 1000


def _send(port: int, messages: list[str], codes: list[str]) -> None:
    from hl7.client import MLLPClient

    from lianxin.interfaces.tests.hl7.messages import ack_code

    with MLLPClient("127.0.0.1", port) as client:
        for message in messages:
            codes.append(ack_code(client.send_message(message))[0])


def _rate(port: int, batches: list[list[str]]) -> tuple[float, list[str]]:
    codes: list[str] = []
    threads = [threading.Thread(target=_send, args=(port, b, codes)) for b in batches]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return sum(len(b) for b in batches) / seconds, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=200, help="per run (one and four)")
    parser.add_argument("--port", type=int, default=21300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        if args.db == "postgres":
            url, _created = stack.enter_context(bench_database("bench_h13_hl7"))
        else:
            url = ""
        env = server_environment(url, folder)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        if not url:
            env.pop("DATABASE_URL")
            env["LIANXIN_SQLITE_PATH"] = f"{folder}/bench.sqlite3"
        setup_django(env)
        from django.core.management import call_command

        from lianxin.interfaces.hl7.samples import oru

        call_command("migrate", verbosity=0)
        accessions = _fixtures(2 * args.messages + 1)
        probe = accessions.pop()
        old_parse, new_parse = _parse_costs([oru(f"X{n}", a) for n, a in enumerate(accessions)])
        queries, one_ms = _queries(probe)
        listener = subprocess.Popen(
            [sys.executable, "-m", "lianxin.cli", "hl7", "--port", str(args.port)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            print(listener.stdout.readline().strip())
            token = secrets.token_hex(4)
            messages = [oru(f"B{token}-{n}", acc) for n, acc in enumerate(accessions)]
            one, codes_one = _rate(args.port, [messages[: args.messages]])
            rest = messages[args.messages :]
            four, codes_four = _rate(args.port, [rest[i::4] for i in range(4)])
        finally:
            listener.terminate()
            listener.wait(10)
    print(machine())
    print(f"database: {args.db}; {args.messages} ORU^R01 (3 OBX each) per run")
    print(
        f"parse + validate, median of {len(accessions)}: hl7apy strict {old_parse:.2f} ms, "
        f"python-hl7 + definitions {new_parse:.2f} ms"
    )
    print(f"one message in this process: {queries} queries, {one_ms:.1f} ms")
    print(f"one connection:   {one:7.1f} messages/s  ({codes_one.count('AA')} AA)")
    print(f"four connections: {four:7.1f} messages/s  ({codes_four.count('AA')} AA)")
    print(f"ratio four/one: {four / one:.2f}; target ≥ 500 messages/s on one connection")


if __name__ == "__main__":
    main()
