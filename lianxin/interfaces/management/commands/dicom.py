"""``lianxin dicom``: run the DICOM service (C-ECHO, worklist, C-STORE, query/retrieve)."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand

from lianxin.core.management.commands.serve import port_number
from lianxin.interfaces.dicom.server import start


def add_dicom_arguments(parser, *, prefix: str = "") -> None:
    """The options of ``lianxin dicom`` (``demo`` shares them with a ``dicom-`` prefix)."""
    parser.add_argument(
        f"--{prefix}host",
        dest=f"{prefix.replace('-', '_')}host",
        default=settings.DICOM_HOST,
        help=f"address to listen on (default {settings.DICOM_HOST})",
    )
    parser.add_argument(
        f"--{prefix}port",
        dest=f"{prefix.replace('-', '_')}port",
        type=port_number,
        default=settings.DICOM_PORT,
        help=f"DICOM port (default {settings.DICOM_PORT})",
    )
    parser.add_argument(
        f"--{prefix}ae-title",
        dest=f"{prefix.replace('-', '_')}ae_title",
        default=settings.DICOM_AE_TITLE,
        help=f"Lianxin's AE title (default {settings.DICOM_AE_TITLE})",
    )


def banner(host: str, port: int, ae_title: str) -> str:
    return f"DICOM service: AE title {ae_title} on {host}:{port}"


class Command(BaseCommand):
    help = "Run Lianxin's DICOM service for the registered modalities and workstations."

    def add_arguments(self, parser):
        add_dicom_arguments(parser)

    def handle(self, *args, **options):
        host, port, title = options["host"], options["port"], options["ae_title"]
        self.stdout.write(banner(host, port, title) + " (Ctrl+C to stop)")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            start(host, port, title, block=True)
