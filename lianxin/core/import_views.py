"""Upload pages for bulk imports: choose the kind, upload, read the per-row report.

The last report is kept in the session (compressed by Django's session signing), so that the page
can be reloaded and the report downloaded as CSV or Excel without importing again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from lianxin.core.access import access_for
from lianxin.core.imports import ImportReport, importer_class, run_import
from lianxin.core.permissions import Perm

# The web page takes smaller files than the console command: a browser upload is held in memory.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A page request should finish while the person waits; larger files go to the console command.
MAX_UPLOAD_ROWS = 2000
SESSION_KEY = "lianxin_import_report"
ROWS_SHOWN = 1000
KIND_CHOICES = [
    ("residents", gettext_lazy("Residents")),
    ("practitioners", gettext_lazy("Practitioners")),
    ("institutions", gettext_lazy("Institutions")),
]


def _importing_institutions(request: HttpRequest) -> Any:
    """Institutions where the user may import; a 403 when there are none."""
    from django.apps import apps

    Institution = apps.get_model("network", "Institution")
    access = access_for(request.user)
    if access.is_superuser:
        return Institution.objects.order_by("name")
    allowed = access.institutions_with(Perm.IMPORT_DATA)
    if not allowed:
        raise PermissionDenied(_("Your role does not allow imports."))
    return Institution.objects.filter(pk__in=allowed).order_by("name")


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What to import"), choices=KIND_CHOICES)
    institution = forms.ModelChoiceField(
        label=gettext_lazy("Register residents at"),
        queryset=None,
        required=False,
        to_field_name="external_id",
        help_text=gettext_lazy("Only for residents."),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or GBK) or Excel workbook (.xlsx); at most 10 MB."),
    )
    sheet = forms.CharField(
        label=gettext_lazy("Sheet"),
        required=False,
        max_length=31,
        help_text=gettext_lazy("Excel only; leave empty for the first sheet."),
    )
    check_only = forms.BooleanField(label=gettext_lazy("Check only, do not save"), required=False)

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)d MB; split it or use the console command.")
                % {"max": MAX_UPLOAD_BYTES // 1048576}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind and importer_class(kind).needs_institution and not data.get("institution"):
            self.add_error("institution", _("Choose the institution the residents belong to."))
        return data


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    institutions = _importing_institutions(request)
    form = ImportForm(request.POST or None, request.FILES or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        importer = importer_class(data["kind"])(
            actor=request.user, institution=data.get("institution")
        )
        upload = data["file"]
        report = run_import(
            importer,
            upload.read(),
            filename=upload.name,
            sheet=data.get("sheet") or None,
            dry_run=data["check_only"],
            max_rows=MAX_UPLOAD_ROWS,
        )
        request.session[SESSION_KEY] = report.to_dict()
        return redirect("imports:report")
    return render(request, "core/imports/upload.html", {"form": form})


def _last_report(request: HttpRequest) -> ImportReport | None:
    _importing_institutions(request)
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    try:
        return ImportReport.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None  # a session written by an older version of this page


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    last = _last_report(request)
    if last is None:
        return redirect("imports:upload")
    kinds = dict(KIND_CHOICES)
    return render(
        request,
        "core/imports/report.html",
        {
            "report": last,
            "kind_label": kinds.get(last.kind, last.kind),
            "totals": last.totals,
            "rows": last.rows[:ROWS_SHOWN],
            "truncated": len(last.rows) > ROWS_SHOWN,
            "rows_shown": ROWS_SHOWN,
        },
    )


def _download(request: HttpRequest, fmt: str) -> HttpResponse:
    last = _last_report(request)
    if last is None:
        return redirect("imports:upload")
    if fmt == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        body = last.to_xlsx()
    else:
        content_type = "text/csv; charset=utf-8"
        body = last.to_csv()
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="import-report-{last.kind}.{fmt}"'
    return response


@login_required
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, "csv")


@login_required
@require_GET
def report_xlsx(request: HttpRequest) -> HttpResponse:
    return _download(request, "xlsx")
