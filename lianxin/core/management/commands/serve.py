"""``lianxin serve``: serve the web application with gunicorn, one worker process per core.

One Python process uses one core whatever its thread count, so the server forks worker processes
(gunicorn's threaded workers, ``--workers``, by default the number of cores, each with
``--threads``). The application is loaded once in the master before the fork; every worker then
opens database connections of its own (none is inherited across the fork) and keeps them between
requests with a health check. Static files come from whitenoise (in the middleware, reading the
apps' static folders through the finders), so no separate web server is needed on a small site.
Behind a load balancer, run one ``lianxin serve`` per web node.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand
from django.db import connections
from gunicorn.app.base import BaseApplication

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 4
# A printed referral or an Excel export can take a while on a small machine; a worker silent for
# this long is restarted.
WORKER_TIMEOUT = 120


def default_workers() -> int:
    """One worker process per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def wsgi_app() -> WSGIHandler:
    """The WSGI application that ``serve`` runs (whitenoise is part of its middleware)."""
    from django.core.wsgi import get_wsgi_application

    # whitenoise warns at start-up when STATIC_ROOT is missing; an empty one is fine.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    return get_wsgi_application()


def _close_connections() -> None:
    # A connection opened before the fork must not be shared by the processes after it.
    connections.close_all()


def _post_fork(server: Any, worker: Any) -> None:
    """gunicorn's hook in each new worker (it checks the hook takes these two arguments)."""
    _close_connections()


class Server(BaseApplication):
    """gunicorn run from Python with the settings below (gunicorn's documented custom
    application), instead of a configuration file."""

    def __init__(self, app: WSGIHandler, options: dict[str, Any]):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIHandler:
        return self.application


def server_options(host: str, port: int, threads: int, workers: int) -> dict[str, Any]:
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": WORKER_TIMEOUT,
        "proc_name": "lianxin",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "post_fork": _post_fork,
    }


def run_server(app: WSGIHandler, **options: Any) -> None:
    _close_connections()
    Server(app, options).run()


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    threads: int = DEFAULT_THREADS,
    workers: int | None = None,
) -> None:
    """Serve until interrupted."""
    run_server(wsgi_app(), **server_options(host, port, threads, workers or default_workers()))


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


def worker_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"workers is a number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("at least one worker process is needed")
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
        help=f"threads per worker process (default {DEFAULT_THREADS})",
    )
    parser.add_argument(
        "--workers",
        type=worker_count,
        default=None,
        help=f"worker processes (default: one per core, here {default_workers()})",
    )


class Command(BaseCommand):
    help = "Serve Lianxin with gunicorn, one worker process per core (static files included)."

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        workers = options["workers"] or default_workers()
        self.stdout.write(
            f"Lianxin at http://{host}:{port}/ ({workers} worker processes; Ctrl+C to stop)"
        )
        self.stdout.flush()
        serve(host=host, port=port, threads=options["threads"], workers=workers)
