"""The input of every load step of the sterile supply centre, declared once for the page and the
API (``core.inputs.ActionForm``): a machine's steps (record the day's Bowie-Dick test, record a
washer run, open a steriliser load) and a load's steps (record the run, read the biological
indicator, release). The loads pages (``views/loads.py``) and the API (``api.py``) are thin
adapters over ``MACHINE_STEPS`` and ``LOAD_STEPS``; the rules stay in ``actions/loads.py``.

The scan's input (``forms.ScanForm``) is the same kind of form; see docs/architecture.md,
"One way in per action".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.core.inputs import ActionForm
from lianxin.sterile import actions
from lianxin.sterile.rules import PROGRAMS

TEMPERATURE = {"max_digits": 5, "decimal_places": 1, "min_value": 0, "max_value": 999}
MINUTES = {"max_digits": 5, "decimal_places": 1, "min_value": 0, "max_value": 999}
PASS_FAIL = [("1", _("Pass")), ("0", _("Fail"))]


def _program_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in PROGRAMS.values()]


def _passed(value: Any) -> bool:
    return str(value).lower() in {"1", "true"}


class BowieDickForm(ActionForm):
    """Record the day's Bowie-Dick test of a pre-vacuum steriliser (``do_record_bowie_dick``)."""

    success = _("Bowie-Dick test recorded.")
    passed = forms.TypedChoiceField(
        label=_("Bowie-Dick test result"), choices=PASS_FAIL, coerce=_passed
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_record_bowie_dick(
            actor=self.user, machine=self.target, passed=data["passed"], note=data["note"]
        )


class WasherRunForm(ActionForm):
    """Record a washer-disinfector run with its printout's parameters
    (``do_start_washer_load``)."""

    success = _("Washer run recorded.")
    program = forms.ChoiceField(label=_("Program"), choices=_program_choices)
    temperature = forms.DecimalField(label=_("temperature (℃)"), required=False, **TEMPERATURE)
    minutes = forms.DecimalField(label=_("minutes"), required=False, **MINUTES)
    a0 = forms.IntegerField(label=_("A0 value"), min_value=0, max_value=100000, required=False)

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_start_washer_load(
            actor=self.user,
            machine=self.target,
            program=data["program"],
            temperature=data.get("temperature"),
            minutes=data.get("minutes"),
            a0=data.get("a0"),
        )


class OpenLoadForm(ActionForm):
    """Open a load on a steriliser; its packs join it by the sterilisation scan
    (``do_start_sterilisation_load``)."""

    success = _("Load opened: scan its packs on the sterilisation page.")
    program = forms.ChoiceField(label=_("Program"), choices=_program_choices)

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_start_sterilisation_load(
            actor=self.user, machine=self.target, program=data["program"]
        )


class FinishLoadForm(ActionForm):
    """Record a load's run: physical parameters and chemical indicator (``do_finish_load``)."""

    success = _("Run recorded.")
    temperature = forms.DecimalField(label=_("temperature (℃)"), **TEMPERATURE)
    minutes = forms.DecimalField(label=_("exposure (minutes)"), **MINUTES)
    pressure_kpa = forms.DecimalField(
        label=_("pressure (kPa)"),
        max_digits=6,
        decimal_places=1,
        min_value=-200,
        max_value=1000,
        required=False,
    )
    chemical_class = forms.TypedChoiceField(
        label=_("chemical indicator class"),
        coerce=int,
        choices=[(5, "5"), (6, "6"), (4, "4"), (1, "1")],
    )
    chemical_ok = forms.TypedChoiceField(
        label=_("chemical indicator passed"), coerce=_passed, choices=PASS_FAIL
    )

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_finish_load(
            actor=self.user,
            load=self.target,
            temperature=data["temperature"],
            minutes=data["minutes"],
            pressure_kpa=data.get("pressure_kpa"),
            chemical_class=data["chemical_class"],
            chemical_ok=data["chemical_ok"],
        )


class ReleaseLoadForm(ActionForm):
    """Release a load to the sterile store; a reason makes it the emergency release of an
    implant load still waiting for its BI (``do_release_load``)."""

    success = _("Load released: scan its packs into the store.")
    reason = forms.CharField(label=_("Emergency release: reason"), max_length=200, required=False)

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_release_load(
            actor=self.user, load=self.target, emergency_reason=data["reason"]
        )


class ReadBiForm(ActionForm):
    """Record the load's biological indicator; positive opens its recall
    (``do_read_biological_indicator``)."""

    success = _("Biological indicator recorded.")
    result = forms.ChoiceField(
        label=_("Biological indicator"),
        choices=[("negative", _("BI negative")), ("positive", _("BI positive"))],
    )

    def act(self, data: dict[str, Any]) -> Any:
        return actions.do_read_biological_indicator(
            actor=self.user, load=self.target, positive=data["result"] == "positive"
        )


#: a machine's steps: ``/sterile/machines/<id>/<step>/`` on the page and the API
MACHINE_STEPS: dict[str, type[ActionForm]] = {
    "bowie_dick": BowieDickForm,
    "washer_run": WasherRunForm,
    "open_load": OpenLoadForm,
}

#: a steriliser load's steps: ``/sterile/loads/<id>/<step>/`` on the page and the API
LOAD_STEPS: dict[str, type[ActionForm]] = {
    "finish": FinishLoadForm,
    "release": ReleaseLoadForm,
    "bi": ReadBiForm,
}
