"""Input definitions (one per action) of the rules page: a recognition rule's fields, and a
shared centre's second-reader rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.core.inputs import ActionForm
from lianxin.diagnostics.actions.rules import do_set_second_read_rule, do_update_recognition_rule
from lianxin.diagnostics.models import ExamItem
from lianxin.diagnostics.rules import Scope
from lianxin.network.models import Department


class RecognitionRuleForm(ActionForm):
    """Edit one exam item's recognition rule (``do_update_recognition_rule``)."""

    success = _("Recognition rule saved.")
    validity_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650)
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices)
    requires_qc = forms.BooleanField(label=_("Requires passed quality control"), required=False)
    conditions = forms.CharField(label=_("Conditions"), max_length=200, required=False)
    source = forms.CharField(label=_("Source"), max_length=200)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def act(self, data: dict[str, Any]):
        return do_update_recognition_rule(actor=self.user, rule=self.target, **data)


class SecondReadRuleForm(ActionForm):
    """Require (or stop requiring) a second reader at a centre (``do_set_second_read_rule``)."""

    success = _("Second-reader rule saved.")
    centre = forms.ModelChoiceField(label=_("Shared centre"), queryset=Department.objects.none())
    exam = forms.ModelChoiceField(
        label=_("Exam item"),
        queryset=ExamItem.objects.order_by("code"),
        required=False,
        empty_label=_("Every exam item of the centre"),
    )
    requires_second_reader = forms.BooleanField(
        label=_("Requires a second reader"), required=False, initial=True
    )
    source = forms.CharField(label=_("Source"), max_length=200, required=False)

    def setup(self) -> None:
        self.fields["centre"].queryset = (
            Department.objects.visible_to(self.user)
            .filter(kind="shared_centre")
            .select_related("institution")
            .order_by("institution__name", "name")
        )

    def act(self, data: dict[str, Any]):
        return do_set_second_read_rule(actor=self.user, **data)
