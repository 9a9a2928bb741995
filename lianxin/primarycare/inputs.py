"""The input of every primarycare action, declared once for the page and the API.

Each class is an :class:`~lianxin.core.inputs.ActionForm` (docs/architecture.md, "One way in per
action"): fields with their limits, scoped lookups of the public ids it names, and ``act`` — the
one call to the action. The pages (``views/``) and the API (``api.py``) are thin adapters.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lianxin.core.inputs import (
    ActionForm,
    RowChoiceField,
    ScopedChoiceField,
    ScopedMultipleChoiceField,
)
from lianxin.core.workflow import Status
from lianxin.network.models import Institution, Tier
from lianxin.primarycare import actions
from lianxin.primarycare.assess import Measurements
from lianxin.primarycare.models import (
    CARE_PLAN,
    FollowUpPlan,
    ServicePackage,
    Team,
    TeamMember,
    TeamVillage,
)
from lianxin.primarycare.rules import (
    Adherence,
    ConsentMethod,
    Population,
    TeamRole,
    TerminationReason,
    VisitMode,
)
from lianxin.referrals.models import FollowUpItem
from lianxin.workforce.models import Practitioner

DATE = forms.DateInput(attrs={"type": "date"})


class SignContractForm(ActionForm):
    """Sign the resident (the target) with a team (``do_sign_contract``)."""

    api_fields = {
        "patient": serializers.UUIDField(help_text="The resident."),
        "doctor": serializers.IntegerField(help_text="The team member (family doctor)."),
    }
    success = _("Contract signed.")
    team = ScopedChoiceField(Team.objects.filter(is_active=True), label=_("Team"))
    # A team member (by number): the choices are narrowed to the user's own teams in setup().
    doctor = forms.ModelChoiceField(
        TeamMember.objects.none(),
        label=_("Family doctor"),
        error_messages={"invalid_choice": _("Not found.")},
    )
    packages = ScopedMultipleChoiceField(
        ServicePackage.objects.all(),
        label=_("Service packages"),
        widget=forms.CheckboxSelectMultiple,
    )
    consent_method = forms.ChoiceField(label=_("Consent"), choices=ConsentMethod.choices)
    consent_by = forms.CharField(label=_("Signed by (resident or guardian)"), max_length=40)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE, required=False)

    def setup(self) -> None:
        from lianxin.primarycare.queries import teams_of

        teams = teams_of(self.user)
        self.offer("team", teams.select_related("institution"))
        self.fields["doctor"].queryset = TeamMember.objects.filter(
            team__in=teams, role__in=["lead", "doctor", "village_doctor"]
        ).select_related("practitioner", "team")
        self.fields["doctor"].label_from_instance = lambda m: (
            f"{m.practitioner.name} · {m.get_role_display()} · {m.team.name}"
        )
        self.fields["packages"].label_from_instance = lambda p: f"{p.name}（¥{p.fee}）"
        if self.target is not None:
            self.initial.setdefault("consent_by", self.target.name)

    def act(self, data: dict[str, Any]):
        return actions.do_sign_contract(
            actor=self.user,
            patient=self.target,
            team=data["team"],
            doctor_member=data["doctor"],
            packages=list(data["packages"]),
            consent_method=data["consent_method"],
            consent_by=data["consent_by"],
            starts_on=data.get("starts_on"),
        )


def _choose_first(field: forms.ChoiceField) -> None:
    """The page's list starts blank, so that nothing is recorded by leaving the first choice
    (the field's choices, which the API offers, stay as they are)."""
    field.widget.choices = [("", "—"), *field.choices]


class RenewContractForm(ActionForm):
    """Renew the contract for another period (``do_renew_contract``)."""

    success = _("Contract renewed.")
    consent_method = forms.ChoiceField(label=_("Consent"), choices=ConsentMethod.choices)
    consent_by = forms.CharField(label=_("Signed by (resident or guardian)"), max_length=40)

    def setup(self) -> None:
        if self.target is not None:
            self.initial.setdefault("consent_by", self.target.patient.name)

    def act(self, data: dict[str, Any]):
        return actions.do_renew_contract(
            actor=self.user,
            contract=self.target,
            consent_method=data["consent_method"],
            consent_by=data["consent_by"],
        )


class TerminateContractForm(ActionForm):
    """End the contract early with a reason (``do_terminate_contract``)."""

    success = _("Contract terminated.")
    reason = forms.ChoiceField(label=_("Reason"), choices=TerminationReason.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def setup(self) -> None:
        _choose_first(self.fields["reason"])

    def act(self, data: dict[str, Any]):
        return actions.do_terminate_contract(
            actor=self.user, contract=self.target, reason=data["reason"], note=data["note"]
        )


class RecordKeyPopulationForm(ActionForm):
    """Record a condition that puts the resident in a key population
    (``do_record_key_population``)."""

    success = _("Recorded.")
    population = forms.ChoiceField(
        label=_("Key population"),
        choices=[
            (p.value, p.label)
            for p in Population
            if p not in (Population.ELDERLY, Population.CHILD)
        ],
    )
    diagnosis_code = forms.CharField(label=_("Diagnosis (ICD-10)"), max_length=20, required=False)
    since = forms.DateField(
        label=_("Since (for a pregnancy: first day of the last menstrual period)"),
        widget=DATE,
        required=False,
    )

    def setup(self) -> None:
        _choose_first(self.fields["population"])

    def act(self, data: dict[str, Any]):
        return actions.do_record_key_population(
            actor=self.user,
            contract=self.target,
            population=data["population"],
            diagnosis_code=data["diagnosis_code"],
            since=data.get("since"),
        )


class RecordVisitForm(ActionForm):
    """One page for a follow-up (``do_record_visit``): what is followed up, the measurements,
    medication and lifestyle."""

    success = _("Follow-up recorded.")
    visited_at = forms.DateTimeField(
        label=_("Visited at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z"],
    )
    mode = forms.ChoiceField(label=_("How"), choices=VisitMode.choices, initial=VisitMode.CLINIC)
    plans = ScopedMultipleChoiceField(
        FollowUpPlan.objects.all(),
        label=_("Programmes followed up"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    care_items = forms.ModelMultipleChoiceField(
        queryset=FollowUpItem.objects.none(),
        to_field_name="external_id",
        label=_("Care-plan items done"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("Not found."), "invalid_pk_value": _("Not found.")},
    )
    systolic = forms.IntegerField(label=_("Systolic (mmHg)"), required=False)
    diastolic = forms.IntegerField(label=_("Diastolic (mmHg)"), required=False)
    heart_rate = forms.IntegerField(label=_("Heart rate (/min)"), required=False)
    glucose = forms.DecimalField(
        label=_("Fasting glucose (mmol/L)"), required=False, max_digits=4, decimal_places=1
    )
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"), required=False, max_digits=5, decimal_places=1
    )
    height_cm = forms.DecimalField(
        label=_("Height (cm)"), required=False, max_digits=4, decimal_places=1
    )
    temperature = forms.DecimalField(
        label=_("Temperature (°C)"), required=False, max_digits=3, decimal_places=1
    )
    danger_signs = forms.BooleanField(
        label=_("Danger signs (altered consciousness, severe headache, chest tightness, …)"),
        required=False,
    )
    complication = forms.BooleanField(label=_("New or worse complication"), required=False)
    medication = forms.CharField(label=_("Medication"), max_length=200, required=False)
    adherence = forms.ChoiceField(
        label=_("Takes medication"), choices=[("", "—"), *Adherence.choices], required=False
    )
    adverse_reaction = forms.CharField(
        label=_("Adverse drug reaction"), max_length=200, required=False
    )
    smoking_per_day = forms.IntegerField(label=_("Cigarettes a day"), required=False, min_value=0)
    drinking_liang_per_day = forms.DecimalField(
        label=_("Alcohol a day (liang)"),
        required=False,
        min_value=0,
        max_digits=3,
        decimal_places=1,
    )
    exercise_minutes_per_week = forms.IntegerField(
        label=_("Exercise a week (minutes)"), required=False, min_value=0
    )
    advice = forms.CharField(label=_("Advice given"), max_length=300, required=False)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    api_fields = {
        "care_items": serializers.ListField(
            child=serializers.UUIDField(), required=False, help_text="Care-plan items done."
        )
    }

    def setup(self) -> None:
        contract = self.target
        open_plans = FollowUpPlan.objects.filter(
            patient_id=contract.patient_id, team_id=contract.team_id, status=Status.IN_PROGRESS
        )
        chronic = open_plans.exclude(programme=CARE_PLAN)
        self.fields["plans"].queryset = chronic.visible_to(self.user)
        self.fields["plans"].label_from_instance = lambda p: (
            f"{p.get_programme_display()}"
            f"{' · ' + p.scheduled_visit.title if p.scheduled_visit else ''}"
            f"（{p.next_due_on:%Y-%m-%d}）"
        )
        self.chronic = list(chronic)
        self.fields["care_items"].queryset = (
            FollowUpItem.objects.filter(
                referral__family_doctor_plans__in=open_plans.filter(programme=CARE_PLAN),
                done_at__isnull=True,
            )
            .select_related("referral")
            .order_by("due_on")
        )
        self.fields["care_items"].label_from_instance = lambda i: (
            f"{i.due_on:%m-%d} {i.description}"
        )
        if not self.is_bound:
            self.initial.setdefault("plans", [str(p.external_id) for p in self.chronic])
            self.initial.setdefault("visited_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    def measurements(self, d: dict[str, Any]) -> Measurements:
        return Measurements(
            systolic=d.get("systolic"),
            diastolic=d.get("diastolic"),
            heart_rate=d.get("heart_rate"),
            glucose=d.get("glucose"),
            weight_kg=d.get("weight_kg"),
            height_cm=d.get("height_cm"),
            temperature=d.get("temperature"),
            danger_signs=bool(d.get("danger_signs")),
            adverse_reaction=d.get("adverse_reaction") or "",
            complication=bool(d.get("complication")),
        )

    def act(self, data: dict[str, Any]):
        visit_input = actions.VisitInput(
            visited_at=data["visited_at"],
            mode=data["mode"],
            measurements=self.measurements(data),
            medication=data.get("medication") or "",
            adherence=data.get("adherence") or "",
            smoking_per_day=data.get("smoking_per_day"),
            drinking_liang_per_day=data.get("drinking_liang_per_day"),
            exercise_minutes_per_week=data.get("exercise_minutes_per_week"),
            advice=data.get("advice") or "",
            note=data.get("note") or "",
        )
        # The page says which programmes are ticked (none, for a care-plan item only); an API
        # body without "plans" means every open programme of the resident.
        given = data.get("plans") or "plans" in self.data or "plans_given" in self.data
        plans = list(data["plans"]) if given else None
        return actions.do_record_visit(
            actor=self.user,
            contract=self.target,
            data=visit_input,
            plans=plans,
            care_items=list(data.get("care_items") or []),
        )


def _practitioner_label(p: Practitioner) -> str:
    place = p.institution.short_name or p.institution.name
    return f"{p.name} · {p.get_title_display() or p.get_profession_display()} · {place}"


class CreateTeamForm(ActionForm):
    """Set up a family-doctor team at a centre, with its lead and villages (``do_create_team``);
    the other members join on the team's page."""

    success = _("Team set up.")
    institution = ScopedChoiceField(
        Institution.objects.filter(tier__in=[Tier.TOWNSHIP, Tier.COMMUNITY_CENTRE]),
        label=_("Based at"),
    )
    name = forms.CharField(label=_("Name"), max_length=80)
    lead = ScopedChoiceField(Practitioner.objects.filter(is_active=True), label=_("Lead"))
    villages = ScopedMultipleChoiceField(
        Institution.objects.filter(tier=Tier.VILLAGE),
        label=_("Villages served"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def setup(self) -> None:
        # The page is opened for one centre (the target): it lists that centre's staff and its
        # village clinics no team serves yet.
        centre = self.target
        self.fields["lead"].label_from_instance = _practitioner_label
        self.fields["villages"].label_from_instance = lambda v: v.short_name or v.name
        if centre is not None:
            self.initial.setdefault("institution", str(centre.external_id))
            self.offer("institution", Institution.objects.filter(pk=centre.pk))
            self.offer(
                "lead",
                Practitioner.objects.filter(institution=centre, is_active=True)
                .select_related("institution")
                .order_by("name"),
            )
            self.fields["villages"].widget.choices = [
                (str(v.external_id), v.short_name or v.name)
                for v in Institution.objects.filter(parent=centre, tier=Tier.VILLAGE)
                .exclude(pk__in=TeamVillage.objects.values("village_id"))
                .order_by("name")
            ]

    def act(self, data: dict[str, Any]):
        return actions.do_create_team(
            actor=self.user,
            institution=data["institution"],
            name=data["name"],
            villages=list(data["villages"]),
            members=[(data["lead"], TeamRole.LEAD)],
        )


class AddTeamMemberForm(ActionForm):
    """Put a practitioner on the team in a role (``do_add_team_member``)."""

    success = _("Member added.")
    practitioner = ScopedChoiceField(
        Practitioner.objects.filter(is_active=True), label=_("Practitioner")
    )
    role = forms.ChoiceField(label=_("Role on the team"), choices=TeamRole.choices)

    def setup(self) -> None:
        team = self.target
        self.fields["practitioner"].label_from_instance = _practitioner_label
        if team is None:
            return
        # The centre's staff, the team's village doctors and the county hospitals' specialists
        # of the community, not on the team yet.
        from lianxin.primarycare.actions.teams import COUNTY_TIERS

        county = Institution.objects.filter(
            tier__in=COUNTY_TIERS,
            community_memberships__community__members__member_institution=team.institution_id,
            community_memberships__community__kind="county",
        )
        self.offer(
            "practitioner",
            Practitioner.objects.filter(is_active=True)
            .filter(
                Q(institution_id=team.institution_id)
                | Q(institution__in=team.villages.all())
                | Q(institution__in=county, profession="physician")
            )
            .exclude(team_memberships__team=team)
            .select_related("institution")
            .distinct()
            .order_by("institution__tier", "institution__name", "name"),
        )

    def act(self, data: dict[str, Any]):
        return actions.do_add_team_member(
            actor=self.user, team=self.target, practitioner=data["practitioner"], role=data["role"]
        )


class RemoveTeamMemberForm(ActionForm):
    """Take a member off the team (``do_remove_team_member``)."""

    success = _("Member removed.")
    practitioner = RowChoiceField(Practitioner.objects.none(), label=_("Practitioner"))

    def setup(self) -> None:
        if self.target is not None:
            self.fields["practitioner"].queryset = Practitioner.objects.filter(
                team_memberships__team=self.target
            )

    def act(self, data: dict[str, Any]):
        member = TeamMember.objects.select_related("practitioner").get(
            team=self.target, practitioner=data["practitioner"]
        )
        return actions.do_remove_team_member(actor=self.user, team=self.target, member=member)


class AddTeamVillageForm(ActionForm):
    """The team serves one more village clinic of its centre (``do_add_team_village``)."""

    success = _("Village added.")
    village = ScopedChoiceField(
        Institution.objects.filter(tier=Tier.VILLAGE), label=_("Village clinic")
    )

    def setup(self) -> None:
        self.fields["village"].label_from_instance = lambda v: v.short_name or v.name
        if self.target is not None:
            self.offer(
                "village",
                Institution.objects.filter(parent_id=self.target.institution_id, tier=Tier.VILLAGE)
                .exclude(pk__in=TeamVillage.objects.values("village_id"))
                .order_by("name"),
            )

    def act(self, data: dict[str, Any]):
        return actions.do_add_team_village(
            actor=self.user, team=self.target, village=data["village"]
        )


class RemoveTeamVillageForm(ActionForm):
    """The team no longer serves a village (``do_remove_team_village``)."""

    success = _("Village removed.")
    village = RowChoiceField(Institution.objects.none(), label=_("Village clinic"))

    def setup(self) -> None:
        if self.target is not None:
            self.fields["village"].queryset = self.target.villages.all()

    def act(self, data: dict[str, Any]):
        return actions.do_remove_team_village(
            actor=self.user, team=self.target, village=data["village"]
        )


TEAM_STEPS: dict[str, type[ActionForm]] = {
    "add_member": AddTeamMemberForm,
    "remove_member": RemoveTeamMemberForm,
    "add_village": AddTeamVillageForm,
    "remove_village": RemoveTeamVillageForm,
}

CONTRACT_STEPS: dict[str, type[ActionForm]] = {
    "renew": RenewContractForm,
    "terminate": TerminateContractForm,
    "key_population": RecordKeyPopulationForm,
}
