"""Evidence for the qualitative indicators (submitted by the lead hospital, judged by the health
commission) and the targets the commission sets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from lianxin.indicators.actions import (
    do_judge_evidence,
    do_set_target,
    do_submit_evidence,
    may_import,
    may_judge,
)
from lianxin.indicators.forms import EvidenceForm, JudgementForm, TargetForm
from lianxin.indicators.models import Evidence
from lianxin.indicators.rules import Status
from lianxin.indicators.views.common import require_aggregates
from lianxin.indicators.views.dashboard import _selection_or_message


def _errors_to_form(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def evidence_list(request: HttpRequest) -> HttpResponse:
    require_aggregates(request)
    chosen = _selection_or_message(request)
    community = chosen.scope.community
    qualitative = [i for i in chosen.edition.indicators if i.status == Status.QUALITATIVE]
    form = EvidenceForm(indicators=qualitative, initial={"year": chosen.period.year})
    if request.method == "POST":
        if not may_import(request.user, community):
            raise PermissionDenied(_("You may not submit evidence for this community."))
        form = EvidenceForm(request.POST, request.FILES, indicators=qualitative)
        if form.is_valid():
            try:
                do_submit_evidence(
                    actor=request.user,
                    community=community,
                    edition=chosen.edition.code,
                    indicator=form.cleaned_data["indicator"],
                    year=form.cleaned_data["year"],
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    document=form.cleaned_data["document"],
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Evidence submitted for judgement."))
                return redirect(f"{reverse('indicators:evidence')}?{chosen.query}")
    items = Evidence.objects.filter(
        community=community, edition=chosen.edition.code
    ).select_related("submitted_by", "judged_by")
    names = {i.code: i.name for i in chosen.edition.indicators}
    context = chosen.context(request.user)
    context.update(
        form=form,
        may_submit=may_import(request.user, community),
        may_judge=may_judge(request.user, community),
        judge_form=JudgementForm(),
        items=[(e, names.get(e.indicator, e.indicator)) for e in items],
    )
    return render(request, "indicators/evidence.html", context, status=400 if form.errors else 200)


@login_required
def evidence_judge(request: HttpRequest, id) -> HttpResponse:
    require_aggregates(request)
    if request.method != "POST":
        raise Http404
    chosen = _selection_or_message(request)
    evidence = Evidence.objects.filter(external_id=id, community=chosen.scope.community).first()
    if evidence is None:
        raise Http404
    form = JudgementForm(request.POST)
    if form.is_valid():
        try:
            do_judge_evidence(
                actor=request.user,
                evidence=evidence,
                judgement=form.cleaned_data["judgement"],
                note=form.cleaned_data["note"],
            )
            messages.success(
                request, _("Judgement recorded: %(title)s.") % {"title": evidence.title}
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a judgement."))
    return redirect(f"{reverse('indicators:evidence')}?{chosen.query}")


@login_required
def target_set(request: HttpRequest, number: int) -> HttpResponse:
    require_aggregates(request)
    if request.method != "POST":
        raise Http404
    chosen = _selection_or_message(request)
    indicator = chosen.edition.indicator(number)
    if indicator is None:
        raise Http404
    form = TargetForm(request.POST)
    back = f"{reverse('indicators:detail', args=[number])}?{chosen.query}"
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        do_set_target(
            actor=request.user,
            community=chosen.scope.community,
            edition=chosen.edition.code,
            indicator=indicator.code,
            year=form.cleaned_data["year"],
            value=form.cleaned_data["value"],
            source=form.cleaned_data["source"],
        )
        messages.success(request, _("Target set for %(name)s.") % {"name": indicator.name})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)
