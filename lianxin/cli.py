"""The ``lianxin`` console command.

``lianxin demo``      set up the SQLite demo county and serve it (demo mode, explicit)
``lianxin serve``     serve the web application (waitress) with static files
``lianxin worker``    run a background task worker (django-tasks database backend)
``lianxin import``    import institutions, practitioners or residents from CSV/Excel
``lianxin audit verify``  check the audit chain
Anything else is passed to Django's management commands (``lianxin migrate``, ``lianxin shell``).
"""

from __future__ import annotations

import os
import sys

ALIASES = {"worker": "db_worker", "import": "import_records"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    if command == "demo":
        # Demo mode is never implied: only this command turns it on.
        os.environ.setdefault("LIANXIN_MODE", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    if command in ALIASES:
        argv[1] = ALIASES[command]
    from django.core.management import execute_from_command_line

    argv[0] = "lianxin"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
