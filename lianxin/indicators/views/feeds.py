"""Feeds: the imports of a community with who, when, which file and how many rows, and the form
that imports one (CSV, Excel or a FHIR bundle) with its per-row report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from lianxin.indicators.actions import community_institutions, do_import_feed, may_import
from lianxin.indicators.feeds import SPECS, Context
from lianxin.indicators.fhir_feed import read_bundle
from lianxin.indicators.forms import FeedForm
from lianxin.indicators.models import FeedFormat, FeedImport
from lianxin.indicators.views.common import require_aggregates
from lianxin.indicators.views.dashboard import _selection_or_message

MAX_UPLOAD = 20 * 1024 * 1024


@login_required
def feed_list(request: HttpRequest) -> HttpResponse:
    require_aggregates(request)
    chosen = _selection_or_message(request)
    community = chosen.scope.community
    allowed = may_import(request.user, community)
    form = FeedForm()
    report = None
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("You may not import feeds for this community."))
        form = FeedForm(request.POST, request.FILES)
        if form.is_valid():
            report = _import(request, form, community)
            if report is not None and not report.has_errors:
                return redirect(f"{reverse('indicators:feeds')}?{chosen.query}")
    imports = (
        FeedImport.objects.filter(community=community)
        .select_related("imported_by", "superseded_by")
        .order_by("-created_at")[:200]
    )
    context = chosen.context(request.user)
    context.update(
        form=form,
        may_import=allowed,
        imports=imports,
        report=report,
        columns={kind: spec.columns for kind, spec in SPECS.items()},
    )
    return render(request, "indicators/feeds.html", context, status=400 if report else 200)


def _import(request: HttpRequest, form: FeedForm, community):
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", _("The file is larger than 20 MB; split it."))
        return None
    data = upload.read()
    kind = form.cleaned_data["kind"]
    start, end = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
    rows, fmt = None, FeedFormat.TABLE
    if upload.name.lower().endswith(".json") or data.lstrip()[:1] == b"{":
        fmt = FeedFormat.FHIR
        report, rows = read_bundle(
            kind, data, upload.name, Context(community_institutions(community), start, end)
        )
        if report.has_errors:
            return report
    try:
        report, feed = do_import_feed(
            actor=request.user,
            community=community,
            kind=kind,
            data=data,
            filename=upload.name,
            period_start=start,
            period_end=end,
            replace=form.cleaned_data["replace"],
            note=form.cleaned_data["note"],
            fmt=fmt,
            rows=rows,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    if feed is not None:
        messages.success(
            request,
            _("Imported %(rows)d rows of %(kind)s from %(file)s.")
            % {"rows": feed.rows, "kind": feed.get_kind_display(), "file": feed.filename},
        )
    return report
