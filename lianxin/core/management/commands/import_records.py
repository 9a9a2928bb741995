"""``lianxin import KIND FILE --as USERNAME``: bulk import with a per-row report.

Exit code 0 when every row went in, 1 when some rows failed (the others are stored unless
``--dry-run``), 2 when the file or the command line was refused and nothing was written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from lianxin.core.imports import IMPORTERS, ImportReport, importer_class, run_import


class Command(BaseCommand):
    help = "Import institutions, practitioners or residents from a CSV or Excel (.xlsx) file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file", help="a .csv (UTF-8 or GBK) or .xlsx file")
        parser.add_argument(
            "--as",
            dest="username",
            help="the user the import acts as; the audit log names them (required)",
        )
        parser.add_argument(
            "--institution", help="institution code (residents are registered there)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--report", help="write the full report to this .csv or .xlsx file")
        parser.add_argument("--sheet", help="the workbook's sheet to read (default: the first)")

    def handle(self, *args, **options):
        if not options["username"]:
            raise CommandError(
                "name the acting user with --as USERNAME: imports are never anonymous",
                returncode=2,
            )
        actor = get_user_model().objects.filter(username=options["username"]).first()
        if actor is None or not actor.is_active:
            raise CommandError(f"no active user named {options['username']!r}", returncode=2)
        report_path = options["report"]
        if report_path and not report_path.lower().endswith((".csv", ".xlsx")):
            raise CommandError("the report file must end in .csv or .xlsx", returncode=2)
        importer_type = importer_class(options["kind"])
        institution = None
        if options["institution"]:
            Institution = apps.get_model("network", "Institution")
            institution = Institution.objects.filter(code=options["institution"]).first()
            if institution is None:
                raise CommandError(
                    f"no institution with the code {options['institution']!r}", returncode=2
                )
        elif importer_type.needs_institution:
            raise CommandError(
                f"importing {options['kind']} needs --institution CODE", returncode=2
            )
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        importer = importer_type(actor=actor, institution=institution)
        report = run_import(
            importer,
            data,
            filename=path.name,
            sheet=options["sheet"],
            dry_run=options["dry_run"],
        )
        self._print(report)
        if report_path:
            content = report.to_xlsx() if report_path.lower().endswith(".xlsx") else report.to_csv()
            Path(report_path).write_bytes(content)
            self.stdout.write(f"report written to {report_path}")
        if report.exit_code:
            sys.exit(report.exit_code)

    def _print(self, report: ImportReport) -> None:
        for message in report.file_errors:
            self.stdout.write(f"FILE ERROR: {message}")
        if report.file_errors:
            self.stdout.write("nothing was imported")
            return
        for row in report.errors():
            text = "; ".join(f"{label}: {msg}" if label else msg for label, msg in row.messages)
            self.stdout.write(f"row {row.row} ({row.key}): {text}")
        totals = report.totals
        prefix = "dry run, nothing written: " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}{totals['rows']} rows: {totals['created']} created, "
            f"{totals['existing']} existing, {totals['skipped']} skipped, {totals['error']} errors"
        )
