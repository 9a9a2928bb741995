"""The rules page: network administrators edit the recognition rules, centre administrators
their second-reader rules — through the actions, so every change is audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.adapters import errors_to_messages, submit
from lianxin.core.permissions import Perm
from lianxin.diagnostics.actions.rules import RULE_FIELDS, can_edit_recognition_rules
from lianxin.diagnostics.models import RecognitionRule, SecondReadRule
from lianxin.diagnostics.rule_inputs import RecognitionRuleForm, SecondReadRuleForm


def _can_edit_centres(user) -> bool:
    access = access_for(user)
    return access.has_perm(Perm.MANAGE_NETWORK) or access.has_perm(Perm.MANAGE_INSTITUTION)


@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    can_recognition = can_edit_recognition_rules(request.user)
    can_centres = _can_edit_centres(request.user)
    if not (can_recognition or can_centres):
        raise PermissionDenied(_("Only administrators edit the diagnostics rules."))
    rules = list(RecognitionRule.objects.select_related("exam").order_by("exam__code"))
    forms = []
    for rule in rules:
        form = RecognitionRuleForm(
            user=request.user,
            target=rule,
            initial={name: getattr(rule, name) for name in RULE_FIELDS},
            auto_id=f"rule-{rule.exam.code}-%s",
        )
        for field in form.fields.values():
            # One row of the table is one form: its inputs name the form they belong to.
            field.widget.attrs["form"] = f"rule-{rule.exam.code}"
        forms.append((rule, form))
    second = SecondReadRuleForm(user=request.user) if can_centres else None
    centre_rules = SecondReadRule.objects.select_related("centre__institution", "exam").filter(
        centre__in=second.fields["centre"].queryset if second else []
    )
    return render(
        request,
        "diagnostics/rules.html",
        {
            "rule_forms": forms,
            "can_recognition": can_recognition,
            "second_form": second,
            "centre_rules": centre_rules,
        },
    )


@login_required
def recognition_rule_edit(request: HttpRequest, code: str) -> HttpResponse:
    rule = get_object_or_404(RecognitionRule.objects.select_related("exam"), exam__code=code)
    if request.method != "POST":
        return redirect("diagnostics:rules")
    form = RecognitionRuleForm(request.POST, user=request.user, target=rule)
    if submit(form):
        messages.success(request, f"{form.success} {rule.exam.name}")
    else:
        errors_to_messages(request, form)
    return redirect("diagnostics:rules")


@login_required
def second_read_rule_set(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("diagnostics:rules")
    form = SecondReadRuleForm(request.POST, user=request.user)
    if submit(form):
        messages.success(request, str(form.success))
    else:
        errors_to_messages(request, form)
    return redirect("diagnostics:rules")
