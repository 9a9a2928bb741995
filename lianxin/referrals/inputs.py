"""The input of every referral action, declared once for the page and the API.

Each class is an :class:`~lianxin.core.inputs.ActionForm`: fields with their limits, scoped
lookups of the public ids it names, and ``act`` — the one call to the action. The referral page
(``views/referrals.py``) and the API (``api.py``) are thin adapters over these classes; see
docs/architecture.md, "One way in per action".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lianxin.core.access import access_for
from lianxin.core.inputs import (
    ActionForm,
    RowChoiceField,
    ScopedChoiceField,
    ScopedMultipleChoiceField,
    VersionField,
)
from lianxin.core.permissions import Perm
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.queries import network_results
from lianxin.network.models import Department, DepartmentKind, Institution
from lianxin.patients.models import Patient
from lianxin.referrals import actions
from lianxin.referrals.actions.referrals import PlanItem
from lianxin.referrals.forms import DATE, DATETIME, MultipleFileField
from lianxin.referrals.models import AppointmentSlot, FollowUpItem
from lianxin.referrals.rules import TIER_LEVEL, Direction, FollowUpKind, Milestone, Urgency
from lianxin.workforce.models import Practitioner

PLAN_ROWS = 4
REASON_MAX = 4000
STEP_REASON_MAX = 2000


def care_institutions(user: Any):
    """Institutions of the user's network that take part in referrals, higher levels first."""
    level = Case(
        *[When(tier=tier, then=Value(n)) for tier, n in TIER_LEVEL.items()],
        output_field=IntegerField(),
    )
    return (
        Institution.objects.visible_to(user)
        .filter(tier__in=TIER_LEVEL, is_active=True)
        .annotate(level=level)
        .order_by("-level", "division_code", "name")
    )


def requesting_institutions(user: Any):
    """The institutions the user sends requests for."""
    ids = access_for(user).institutions_with(Perm.REQUEST_SERVICE)
    return Institution.objects.filter(pk__in=ids).order_by("name")


def departments_of(institutions) -> Any:
    return (
        Department.objects.filter(institution__in=institutions, is_active=True)
        .select_related("institution")
        .order_by("institution__name", "name")
    )


class PlanItemSerializer(serializers.Serializer):
    """One care-plan item on the API (the page spreads them over ``plan_<n>_*`` rows)."""

    kind = serializers.ChoiceField(choices=FollowUpKind.choices, default=FollowUpKind.VISIT)
    description = serializers.CharField(max_length=200)
    due_on = serializers.DateField()


class PlanInput(ActionForm):
    """Care-plan rows: kind, what, due date. The API sends them as ``follow_ups: [...]``."""

    api_fields = {"follow_ups": PlanItemSerializer(many=True, required=False)}

    @classmethod
    def from_api(cls, data: Any) -> Any:
        items = data.get("follow_ups") if hasattr(data, "get") else None
        if not isinstance(items, list):
            return data
        flat = {k: v for k, v in data.items() if k != "follow_ups"}
        for n, item in enumerate(items):
            item = item if isinstance(item, dict) else {"description": item}
            flat[f"plan_{n}_kind"] = item.get("kind") or FollowUpKind.VISIT
            flat[f"plan_{n}_description"] = item.get("description") or ""
            flat[f"plan_{n}_due_on"] = item.get("due_on") or ""
        return flat

    def setup(self) -> None:
        rows = PLAN_ROWS
        for key in self.data or {}:
            parts = str(key).split("_")
            if len(parts) >= 3 and parts[0] == "plan" and parts[1].isdigit():
                rows = max(rows, int(parts[1]) + 1)
        self.plan_count = min(rows, 100)
        for n in range(self.plan_count):
            self.fields[f"plan_{n}_kind"] = forms.ChoiceField(
                label=_("Kind"), choices=FollowUpKind.choices, required=False
            )
            self.fields[f"plan_{n}_description"] = forms.CharField(
                label=_("What"), max_length=200, required=False
            )
            self.fields[f"plan_{n}_due_on"] = forms.DateField(
                label=_("Due on"), required=False, widget=DATE
            )

    def plan_rows(self):
        return [
            (self[f"plan_{n}_kind"], self[f"plan_{n}_description"], self[f"plan_{n}_due_on"])
            for n in range(self.plan_count)
        ]

    def plan(self) -> list[PlanItem]:
        items = []
        for n in range(self.plan_count):
            description = self.cleaned_data.get(f"plan_{n}_description") or ""
            if description.strip():
                items.append(
                    PlanItem(
                        kind=self.cleaned_data.get(f"plan_{n}_kind") or FollowUpKind.VISIT,
                        description=description,
                        due_on=self.cleaned_data.get(f"plan_{n}_due_on"),
                    )
                )
        return items


class CreateReferralForm(PlanInput):
    """Refer a patient up, or down with a care plan (``do_create_referral``)."""

    success = _("Referral sent.")

    patient = ScopedChoiceField(
        Patient.objects, label=_("Patient"), widget=forms.HiddenInput, required=True
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    requester_institution = ScopedChoiceField(
        Institution.objects, label=_("Referring institution"), required=False, empty_label=None
    )
    performer_institution = ScopedChoiceField(Institution.objects, label=_("Refer to"))
    performer_department = ScopedChoiceField(
        Department.objects, label=_("Department"), required=False
    )
    requested_practitioner = ScopedChoiceField(
        Practitioner.objects, label=_("Doctor (optional)"), required=False
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.ROUTINE, required=False
    )
    diagnosis_code = forms.CharField(label=_("ICD-10 code"), max_length=20, required=False)
    diagnosis_text = forms.CharField(label=_("Working diagnosis"), max_length=200)
    reason = forms.CharField(
        label=_("Reason for referral"),
        max_length=REASON_MAX,
        widget=forms.Textarea({"rows": 3}),
    )
    history_summary = forms.CharField(
        label=_("History summary"),
        max_length=8000,
        required=False,
        widget=forms.Textarea({"rows": 4}),
    )
    care_plan = forms.CharField(
        label=_("Care plan (for a downward referral)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea({"rows": 3}),
    )
    linked_results = ScopedMultipleChoiceField(
        ExamOrder.objects,
        label=_("Results from the network"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The receiving site reads the linked reports through the referral."),
    )
    attachments = MultipleFileField(label=_("Attached results"), required=False)
    draft = forms.BooleanField(label=_("Save as a draft"), required=False)

    def setup(self) -> None:
        super().setup()
        # The results the user reads on the patient pages, from anywhere in the network (not
        # only those of their own institutions); another one is "Not found.".
        linked = self.fields["linked_results"]
        linked.queryset = network_results(self.user)
        linked.label_from_instance = result_label
        if isinstance(self.target, Patient):
            # The page names the patient in its URL (already resolved): no second lookup.
            del self.fields["patient"]
            self.offer("linked_results", network_results(self.user, self.target)[:50])
        requesting = requesting_institutions(self.user)
        self.offer("requester_institution", requesting)
        # Changing the direction reloads the page, so the destinations fit it.
        self.fields["direction"].widget.attrs["data-reload-with"] = "direction"
        institutions = care_institutions(self.user)
        self.offer(
            "performer_institution",
            destinations(institutions, self._value("direction"), self._requester(requesting)),
        )
        chosen = self["performer_institution"].value()
        receiving = institutions.filter(external_id=chosen) if _is_uuid(chosen) else None
        if receiving is None:
            receiving = institutions.none()
        self.offer("performer_department", departments_of(receiving))
        self.offer(
            "requested_practitioner",
            Practitioner.objects.filter(institution__in=receiving, is_active=True)
            .select_related("department")
            .order_by("department__name", "name"),
        )

    def _value(self, name: str) -> Any:
        return self[name].value() if name in self.fields else None

    def _requester(self, requesting) -> Institution | None:
        chosen = self._value("requester_institution")
        if _is_uuid(chosen):
            return requesting.filter(external_id=chosen).first()
        return requesting.first()

    def act(self, data: dict[str, Any]):
        return actions.do_create_referral(
            actor=self.user,
            patient=self.target if isinstance(self.target, Patient) else data["patient"],
            direction=data["direction"],
            requester_institution=data["requester_institution"],
            performer_institution=data["performer_institution"],
            performer_department=data["performer_department"],
            requested_practitioner=data["requested_practitioner"],
            urgency=data["urgency"] or Urgency.ROUTINE,
            diagnosis_code=data["diagnosis_code"],
            diagnosis_text=data["diagnosis_text"],
            reason=data["reason"],
            history_summary=data["history_summary"],
            care_plan=data["care_plan"],
            follow_ups=self.plan(),
            attachments=data["attachments"],
            linked_results=list(data["linked_results"] or ()),
            draft=data["draft"],
        )


def result_label(order: ExamOrder) -> str:
    """A result as the form lists it: exam, where and when it was signed."""
    from django.utils import timezone

    signed = timezone.localtime(order.signed_at).strftime("%Y-%m-%d") if order.signed_at else ""
    return f"{order.exam.name} · {order.performer_institution.name} · {signed}"


def destinations(institutions, direction: Any, requester: Institution | None):
    """The receivers a page lists: for an upward referral the levels above the referring
    institution, for a downward one the levels below — and only institutions with a clinical
    department, so that no village clinic is offered as a specialist destination. Display only:
    the action decides (``_check_direction``)."""
    mine = TIER_LEVEL.get(requester.tier) if requester is not None else None
    if mine is None:
        return institutions
    if str(direction or Direction.UP) == Direction.DOWN:
        return institutions.filter(level__lt=mine)
    return institutions.filter(
        level__gt=mine,
        departments__is_active=True,
        departments__kind=DepartmentKind.CLINICAL,
    ).distinct()


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError):
        return False
    return True


class ReceiveReferralForm(ActionForm):
    """The receiving side has seen the referral (``do_receive_referral``)."""

    success = _("Marked as received.")
    version = VersionField()

    def act(self, data: dict[str, Any]):
        return actions.do_receive_referral(
            actor=self.user, referral=self.target, expected_version=data["version"]
        )


class AcceptReferralForm(ActionForm):
    """Accept, optionally into a department and a reserved slot (``do_accept_referral``)."""

    success = _("Referral accepted.")
    slot = ScopedChoiceField(
        AppointmentSlot.objects, label=_("Book a reserved slot"), required=False
    )
    department = ScopedChoiceField(Department.objects, label=_("Department"), required=False)
    version = VersionField()

    def setup(self) -> None:
        referral = self.target
        if referral is None or self.is_bound:
            return
        # The page lists the free future slots of the department (the action checks the rest).
        from django.utils import timezone

        slots = (
            AppointmentSlot.objects.free()
            .filter(institution=referral.performer_institution_id, starts_at__gt=timezone.now())
            .select_related("department", "practitioner")
            .order_by("starts_at")
        )
        if referral.performer_department_id:
            slots = slots.filter(department=referral.performer_department_id)
            # The department the referring doctor asked for is the receiver's first choice.
            self.fields["department"].initial = referral.performer_department
        self.offer("slot", slots[:50])
        self.offer(
            "department",
            Department.objects.filter(
                institution=referral.performer_institution_id, is_active=True
            ),
        )

    def act(self, data: dict[str, Any]):
        return actions.do_accept_referral(
            actor=self.user,
            referral=self.target,
            slot=data["slot"],
            department=data["department"],
            expected_version=data["version"],
        )


class ReasonInput(ActionForm):
    """A step that needs a reason."""

    reason = forms.CharField(
        label=_("Reason"), max_length=STEP_REASON_MAX, widget=forms.Textarea({"rows": 2})
    )
    version = VersionField()


class RejectReferralForm(ReasonInput):
    """Decline the referral, saying why (``do_reject_referral``)."""

    success = _("Recorded.")

    def act(self, data: dict[str, Any]):
        return actions.do_reject_referral(
            actor=self.user,
            referral=self.target,
            reason=data["reason"],
            expected_version=data["version"],
        )


class CancelReferralForm(ReasonInput):
    """The referring side withdraws the referral (``do_cancel_referral``)."""

    success = _("Recorded.")

    def act(self, data: dict[str, Any]):
        return actions.do_cancel_referral(
            actor=self.user,
            referral=self.target,
            reason=data["reason"],
            expected_version=data["version"],
        )


class NoShowReferralForm(ReasonInput):
    """The patient did not come (``do_record_no_show``)."""

    success = _("Recorded.")

    def act(self, data: dict[str, Any]):
        return actions.do_record_no_show(
            actor=self.user, referral=self.target, reason=data["reason"]
        )


class ArriveReferralForm(ActionForm):
    """The patient arrived (``do_record_arrival``)."""

    success = _("Arrival recorded.")

    def act(self, data: dict[str, Any]):
        return actions.do_record_arrival(actor=self.user, referral=self.target)


class CompleteReferralForm(ActionForm):
    """Close the loop: the outcome goes back to the referring doctor (``do_complete_referral``)."""

    success = _("Outcome sent back to the referring doctor.")
    outcome_summary = forms.CharField(
        label=_("Outcome for the referring doctor (e.g. discharge summary)"),
        max_length=20000,
        widget=forms.Textarea({"rows": 5}),
    )

    def act(self, data: dict[str, Any]):
        return actions.do_complete_referral(
            actor=self.user, referral=self.target, outcome_summary=data["outcome_summary"]
        )


class MilestoneReferralForm(ActionForm):
    """A green-channel milestone, now or at a given time (``do_record_milestone``)."""

    success = _("Milestone recorded.")
    milestone = forms.ChoiceField(label=_("Milestone"), choices=Milestone.choices)
    at = forms.DateTimeField(label=_("Time"), required=False, widget=DATETIME)

    def act(self, data: dict[str, Any]):
        return actions.do_record_milestone(
            actor=self.user, referral=self.target, milestone=data["milestone"], at=data["at"]
        )


class FollowUpReferralForm(ActionForm):
    """The result of one care-plan item (``do_record_follow_up``)."""

    success = _("Follow-up recorded.")
    item = RowChoiceField(FollowUpItem.objects.none(), widget=forms.HiddenInput)
    result = forms.CharField(label=_("Result"), max_length=4000, widget=forms.Textarea({"rows": 2}))

    def setup(self) -> None:
        if self.target is not None:
            self.fields["item"].queryset = self.target.follow_ups.all()

    def act(self, data: dict[str, Any]):
        return actions.do_record_follow_up(
            actor=self.user, item=data["item"], result=data["result"]
        )


class SubmitReferralForm(PlanInput):
    """Send a draft, adding care-plan items (``do_submit_referral``)."""

    success = _("Referral sent.")

    def act(self, data: dict[str, Any]):
        return actions.do_submit_referral(
            actor=self.user, referral=self.target, follow_ups=self.plan()
        )


#: the workflow steps of a referral: URL name → input (one page view and one API action each)
STEPS: dict[str, type[ActionForm]] = {
    "receive": ReceiveReferralForm,
    "accept": AcceptReferralForm,
    "reject": RejectReferralForm,
    "cancel": CancelReferralForm,
    "no_show": NoShowReferralForm,
    "arrive": ArriveReferralForm,
    "complete": CompleteReferralForm,
    "milestone": MilestoneReferralForm,
    "follow_up": FollowUpReferralForm,
    "submit": SubmitReferralForm,
}
