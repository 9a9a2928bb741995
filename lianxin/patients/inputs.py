"""The input of every identity action, declared once for the page and the API.

Each class is an :class:`~lianxin.core.inputs.ActionForm` (docs/architecture.md, "One way in per
action"): the emergency desk's unidentified patient, a merge of one patient into another (the
*Identify* page), a merge or dismissal from the review queue, and the confirmation, refusal or
undoing of a merge. ``identity_views.py`` and ``api.py`` are thin adapters over these classes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lianxin.core.access import access_for
from lianxin.core.inputs import ActionForm, ScopedChoiceField
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients import identity_actions as actions
from lianxin.patients.models import ArrivalPlace, MergeStatus, Patient, Sex

REASON_MAX = 500


def registering_institutions(user: Any):
    """The institutions where the user registers patients."""
    access = access_for(user)
    if access.is_superuser:
        return Institution.objects.order_by("name")
    return Institution.objects.filter(
        pk__in=access.institutions_with(Perm.REGISTER_PATIENT)
    ).order_by("name")


class RegisterUnidentifiedForm(ActionForm):
    """One step at the emergency desk: what can be seen of a person who cannot say who they are
    (``do_register_unidentified_patient``)."""

    institution = ScopedChoiceField(Institution.objects, label=_("Register at"), empty_label=None)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    estimated_age = forms.IntegerField(label=_("Apparent age (years)"), min_value=0, max_value=120)
    place = forms.ChoiceField(label=_("Arrived at"), choices=ArrivalPlace.choices)
    arrived_at = forms.DateTimeField(
        label=_("Arrival time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for now."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Build, clothing, marks, belongings, who brought them, where they were found."),
    )
    photo = forms.FileField(label=_("Photo"), required=False)

    api_fields = {"photo": serializers.FileField(required=False, help_text="Photo (an image)")}

    def setup(self) -> None:
        self.offer("institution", registering_institutions(self.user))

    @property
    def success(self) -> str:  # type: ignore[override]
        patient = self.result
        return _("Registered %(name)s; the patient can be referred and examined now.") % {
            "name": patient.name if patient else ""
        }

    def act(self, data: dict[str, Any]) -> Patient:
        return actions.do_register_unidentified_patient(
            actor=self.user,
            institution=data["institution"],
            sex=data["sex"],
            estimated_age=data["estimated_age"],
            place=data["place"],
            arrived_at=data["arrived_at"],
            description=data["description"],
            photo=data.get("photo"),
        )


class _MergeResult:
    """The page's message after a merge: made at once, or proposed to the other side."""

    result: Any

    @property
    def success(self) -> str:
        merge = self.result
        if merge is not None and merge.status == MergeStatus.PROPOSED:
            return str(
                _(
                    "The merge is proposed; the other institution's patient index administrator "
                    "confirms it."
                )
            )
        return str(
            _("%(source)s was merged into %(target)s.")
            % {"source": merge.source if merge else "", "target": merge.target if merge else ""}
        )


class MergeIntoForm(_MergeResult, ActionForm):
    """Merge the patient (``target``, e.g. an unidentified record) into another, the survivor
    (``do_merge_patients``); across institutions this proposes the merge."""

    other = ScopedChoiceField(
        Patient.objects.filter(merged_into__isnull=True), label=_("Surviving patient")
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX)

    def act(self, data: dict[str, Any]):
        return actions.do_merge_patients(
            actor=self.user, source=self.target, target=data["other"], reason=data["reason"]
        )


class MergeCandidateForm(_MergeResult, ActionForm):
    """Merge a likely duplicate pair of the review queue, keeping the first or the second."""

    survivor = forms.ChoiceField(
        label=_("Keep"),
        choices=[("first", _("The first patient")), ("second", _("The second patient"))],
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX)

    def act(self, data: dict[str, Any]):
        pair = self.target
        keep_first = (data.get("survivor") or "first") == "first"
        source, target = (pair.second, pair.first) if keep_first else (pair.first, pair.second)
        return actions.do_merge_patients(
            actor=self.user, source=source, target=target, reason=data["reason"]
        )


class DismissCandidateForm(ActionForm):
    """The pair of the review queue is two different people (``do_dismiss_candidate``)."""

    success = _("Marked as two different people.")

    def act(self, data: dict[str, Any]):
        return actions.do_dismiss_candidate(actor=self.user, candidate=self.target)


class ConfirmMergeForm(ActionForm):
    """The other side confirms a proposed merge (``do_confirm_merge``)."""

    success = _("Merge confirmed.")

    def act(self, data: dict[str, Any]):
        return actions.do_confirm_merge(actor=self.user, merge=self.target)


class RejectMergeForm(ActionForm):
    """Either side declines a proposed merge; nothing moves (``do_reject_merge``)."""

    success = _("Merge declined; nothing was moved.")
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX)

    def act(self, data: dict[str, Any]):
        return actions.do_reject_merge(actor=self.user, merge=self.target, reason=data["reason"])


class UnmergeForm(ActionForm):
    """Undo a completed merge: every moved record goes back (``do_unmerge_patients``)."""

    success = _("Unmerged: every moved record is back.")
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX)

    def act(self, data: dict[str, Any]):
        return actions.do_unmerge_patients(
            actor=self.user, merge=self.target, reason=data["reason"]
        )


CANDIDATE_STEPS = {"merge": MergeCandidateForm, "dismiss": DismissCandidateForm}
MERGE_STEPS = {"confirm": ConfirmMergeForm, "reject": RejectMergeForm, "unmerge": UnmergeForm}
