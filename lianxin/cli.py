"""The ``lianxin`` console command.

``lianxin demo``      set up the SQLite demo county and serve it (demo mode, explicit)
``lianxin serve``     serve the web application (gunicorn, a worker per core) with static files
``lianxin worker``    run a background task worker (django-tasks database backend)
``lianxin import``    import institutions, practitioners or residents from CSV/Excel
``lianxin audit verify``  check the audit chain
``lianxin mpi link``  batch linkage of the patient index into the MPI review queue (Splink)
Anything else is passed to Django's management commands (``lianxin migrate``, ``lianxin shell``).

``lianxin --help`` and ``lianxin COMMAND --help`` work without any configuration; a command that
needs configuration which is missing says so in one line instead of a traceback.
"""

from __future__ import annotations

import os
import sys
import tempfile

ALIASES = {"import": "import_records"}
# Lianxin's own commands as ``lianxin --help`` lists them (a command's --help says the rest).
COMMANDS = [
    ("demo", "build the synthetic demo county (SQLite) and serve it: lianxin demo --port 8000"),
    ("serve", "serve the web application (gunicorn, a worker per core), static files included"),
    ("worker", "run a background task worker; it also escalates overdue items every few minutes"),
    ("import", "import institutions, practitioners or residents from CSV or Excel"),
    ("audit", "lianxin audit verify: check the hash-chained audit log and its checkpoints"),
    ("escalate", "escalate every overdue open workflow item once"),
    ("migrate", "create or update the database tables (Django)"),
    ("createsuperuser", "create an administrator account (Django)"),
]
HELP_FLAGS = {"-h", "--help", "help"}


def _usage() -> str:
    width = max(len(name) for name, _text in COMMANDS)
    lines = ["Usage: lianxin COMMAND [options]   (lianxin COMMAND --help for its options)", ""]
    lines += ["Lianxin's commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, text in COMMANDS]
    lines += [
        "",
        "Every other Django management command works too (lianxin help --django lists them).",
        "Settings come from the environment: SECRET_KEY, DATABASE_URL, LIANXIN_DATA_DIR … "
        "(see README).",
    ]
    return "\n".join(lines)


def _is_help(argv: list[str]) -> bool:
    return len(argv) <= 1 or argv[1] in HELP_FLAGS or any(a in {"-h", "--help"} for a in argv[2:])


def _help_environment() -> None:
    """Help reads no data, so it runs with throwaway settings when none are configured (and does
    not create a data directory where it is run)."""
    if os.environ.get("LIANXIN_MODE", "production") == "production":
        os.environ.setdefault("SECRET_KEY", "lianxin-help-only")
    os.environ.setdefault("LIANXIN_DATA_DIR", tempfile.mkdtemp(prefix="lianxin-help-"))


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    if command in HELP_FLAGS and "--django" not in argv[2:]:
        print(_usage())
        return
    if command == "demo":
        # Demo mode is never implied: only this command turns it on.
        os.environ.setdefault("LIANXIN_MODE", "demo")
    if _is_help(argv):
        _help_environment()
        if command in HELP_FLAGS:
            argv = [argv[0], "help"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    if command in ALIASES:
        argv[1] = ALIASES[command]
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        argv[0] = "lianxin"
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        print(f"lianxin: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
