"""``lianxin demo``: migrate, build the demo county if the database is empty, print the logins,
serve.

It refuses to run unless ``LIANXIN_MODE=demo`` (which ``lianxin demo`` sets, and nothing else
does), because it creates accounts with a published password.
"""

from __future__ import annotations

import argparse
import datetime
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from lianxin.core import audit_checkpoint
from lianxin.core.management.commands.serve import add_server_arguments, default_workers, serve
from lianxin.core.models import AuditEvent
from lianxin.core.pdf import FontUnavailable, find_font
from lianxin.core.permissions import Role
from lianxin.core.schedule import Scheduler
from lianxin.demo.accounts import DEMO_ACCOUNTS
from lianxin.demo.build import BUILD_ACTION, build_county, database_is_empty, is_built
from lianxin.demo.context import (
    DEFAULT_RESIDENTS,
    DEFAULT_SEED,
    DEFAULT_VILLAGES,
    DEMO_PASSWORD,
    DemoOptions,
)
from lianxin.workforce.models import Membership


def _at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"at least {minimum}, got {value}")
        return value

    return parse


def reset_database() -> None:
    """Start from nothing: delete the SQLite file, or empty every table of another database."""
    connection = connections["default"]
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        path = Path(connection.settings_dict["NAME"])
        connections.close_all()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        call_command("flush", interactive=False, verbosity=0)
    # The audit log went with the database; its checkpoints would otherwise report it cut.
    audit_checkpoint.discard()


class Command(BaseCommand):
    help = "Build the synthetic demo county (1+2+11+N) and serve it. Demo mode only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--residents",
            type=_at_least(0),
            default=DEFAULT_RESIDENTS,
            help=f"residents to generate (default {DEFAULT_RESIDENTS}; 300000 for benchmarks)",
        )
        parser.add_argument(
            "--villages",
            type=_at_least(11),
            default=DEFAULT_VILLAGES,
            help=f"village clinics (default {DEFAULT_VILLAGES})",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="random seed: same seed, same county"
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the database and build it again"
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="build (if needed) and stop, do not serve"
        )
        add_server_arguments(parser)
        parser.add_argument(
            "--hl7-port",
            type=int,
            default=2575,
            help="port of the HL7 v2 / MLLP listener started beside the web server (-1: none)",
        )
        parser.add_argument(
            "--dicom-port",
            type=int,
            default=settings.DICOM_PORT,
            help=f"port of the DICOM service started beside the web server "
            f"(default {settings.DICOM_PORT}; -1: none)",
        )
        parser.add_argument(
            "--dicom-ae-title",
            default=settings.DICOM_AE_TITLE,
            help=f"the DICOM service's AE title (default {settings.DICOM_AE_TITLE})",
        )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "The demo runs only in demo mode (LIANXIN_MODE=demo), because it creates "
                "accounts with a published password. Start it with `lianxin demo`."
            )
        if options["reset"]:
            reset_database()
            self.stdout.write("Database reset.")
        call_command("migrate", interactive=False, verbosity=0)

        if is_built():
            self.stdout.write(
                f"The demo county is already built{self._earlier_build()} "
                "(--reset builds it again)."
            )
        elif not database_is_empty():
            raise CommandError(
                "This database holds data the demo did not create; the demo builds only into an "
                "empty database. Use another LIANXIN_DATA_DIR, or --reset to delete everything."
            )
        else:
            self._build(options)
        self._print_logins()
        try:
            find_font()
        except FontUnavailable as exc:
            self.stdout.write(f"\nNote: printed forms will not work yet. {exc}")
        if options["no_serve"]:
            return
        host, port = options["host"], options["port"]
        if options["hl7_port"] >= 0:
            from lianxin.interfaces.hl7.server import start_in_thread

            hl7_port = start_in_thread(host, options["hl7_port"])
            self.stdout.write(f"HL7 MLLP listener (ORU^R01 results) on {host}:{hl7_port}")
        if options["dicom_port"] >= 0:
            self._start_dicom(host, options["dicom_port"], options["dicom_ae_title"])
        workers = options["workers"] or default_workers()
        self.stdout.write(
            f"\nLianxin demo at http://{host}:{port}/ "
            f"({workers} worker processes; Ctrl+C to stop)\n"
        )
        self.stdout.flush()
        # No worker runs beside the demo: its server process escalates overdue items itself.
        scheduler = Scheduler()
        scheduler.start()
        try:
            serve(host=host, port=port, threads=options["threads"], workers=workers)
        finally:
            scheduler.stop()

    def _start_dicom(self, host: str, port: int, ae_title: str) -> None:
        """The DICOM service in threads of this process (pynetdicom serves each association in
        a thread of its own), for the modalities and workstations the demo registered."""
        from lianxin.interfaces.dicom.demo import DEVICES
        from lianxin.interfaces.dicom.server import start
        from lianxin.interfaces.management.commands.dicom import banner

        try:
            server = start(host, port, ae_title, block=False)
        except OSError as exc:
            self.stderr.write(f"DICOM service could not start on {host}:{port}: {exc}")
            return
        devices = ", ".join(title for title, *_rest in DEVICES)
        self.stdout.write(
            f"{banner(host, server.server_address[1], ae_title)} "
            f"(worklist, storage, query/retrieve; the demo's devices: {devices})"
        )

    def _build(self, options) -> None:
        self.stdout.write(
            f"Building the demo county: {options['residents']:,} residents, "
            f"{options['villages']} village clinics, seed {options['seed']} …"
        )
        county = build_county(
            DemoOptions(
                residents=options["residents"],
                villages=options["villages"],
                seed=options["seed"],
                today=datetime.date.today(),
            ),
            progress=lambda step, seconds: self.stdout.write(f"  {step:<12} {seconds:7.1f} s"),
        )
        self.stdout.write(
            f"Built in {county.timings['total']:.1f} s: {len(county.townships)} township centres, "
            f"{len(county.villages)} village clinics, {len(county.practitioners)} practitioners, "
            f"{county.residents:,} residents."
        )

    def _earlier_build(self) -> str:
        event = AuditEvent.objects.filter(action=BUILD_ACTION).order_by("-seq").first()
        if not event or not event.after:
            return ""
        residents = event.after.get("residents", 0)
        return f": {residents:,} residents, built in {event.after.get('seconds')} s"

    def _print_logins(self) -> None:
        memberships = {
            m.user.username: m
            for m in Membership.objects.select_related("user", "institution", "department").filter(
                user__username__in=[a.username for a in DEMO_ACCOUNTS]
            )
        }
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        header = f"  {'username':<12} {'password':<14} {'role':<28} institution"
        self.stdout.write(header)
        for account in DEMO_ACCOUNTS:
            membership = memberships.get(account.username)
            if membership is None:
                continue
            role = str(Role(membership.role).label)
            place = membership.institution.name
            if membership.department:
                place += f" · {membership.department.name}"
            self.stdout.write(
                f"  {account.username:<12} {DEMO_PASSWORD:<14} {_pad(role, 28)} {place}"
            )


def _pad(text: str, width: int) -> str:
    """Pad to a width in terminal cells: a Chinese character takes two."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))
    return f"{text}{' ' * max(width - cells, 0)}"
