"""``lianxin serve``: serve the web application with waitress.

Static files come from whitenoise (in the middleware, reading the apps' static folders through the
finders), so one process serves everything and no separate web server is needed on a small site.
Behind a load balancer, run one ``lianxin serve`` per web node.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand
from waitress import serve as waitress_serve

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 4


def wsgi_app() -> WSGIHandler:
    """The WSGI application that ``serve`` runs (whitenoise is part of its middleware)."""
    from django.core.wsgi import get_wsgi_application

    # whitenoise warns at start-up when STATIC_ROOT is missing; an empty one is fine.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    return get_wsgi_application()


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, threads: int = DEFAULT_THREADS
) -> None:
    """Serve until interrupted."""
    waitress_serve(wsgi_app(), host=host, port=port, threads=threads, ident="lianxin")


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 1 and 65535, got {value}")
    return value


def thread_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"threads is a number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("at least one thread is needed")
    return value


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``serve`` and ``demo`` share."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}"
    )
    parser.add_argument(
        "--threads",
        type=thread_count,
        default=DEFAULT_THREADS,
        help=f"worker threads (default {DEFAULT_THREADS})",
    )


class Command(BaseCommand):
    help = "Serve Lianxin with waitress (static files included)."

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        self.stdout.write(f"Lianxin at http://{host}:{port}/ (Ctrl+C to stop)")
        serve(host=host, port=port, threads=options["threads"])
