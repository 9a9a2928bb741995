"""``lianxin hl7``: the HL7 v2 / MLLP listener for laboratory results (ORU^R01)."""

from __future__ import annotations

import asyncio

from django.core.management.base import BaseCommand

from lianxin.envconf import env_int, env_str


class Command(BaseCommand):
    help = "Listen for HL7 v2 laboratory results over MLLP (ORU^R01, v2.3 to 2.5.1)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default=env_str("LIANXIN_HL7_HOST", "127.0.0.1"), help="address to bind"
        )
        parser.add_argument(
            "--port",
            type=int,
            default=env_int("LIANXIN_HL7_PORT", 2575),
            help="TCP port (default 2575, the registered HL7 port; 0 picks a free one)",
        )

    def handle(self, *args, **options):
        from lianxin.interfaces.hl7.server import serve

        def ready(port: int) -> None:
            self.stdout.write(f"HL7 MLLP listener on {options['host']}:{port}")
            self.stdout.flush()

        try:
            asyncio.run(serve(options["host"], options["port"], ready=ready))
        except KeyboardInterrupt:
            self.stdout.write("HL7 listener stopped.")
