"""Writes of the primarycare app: each action runs in one transaction with its audit row."""

from lianxin.primarycare.actions.contracts import (
    do_record_key_population,
    do_renew_contract,
    do_sign_contract,
    do_terminate_contract,
    refresh_key_populations,
)
from lianxin.primarycare.actions.plans import take_care_plan
from lianxin.primarycare.actions.teams import (
    do_add_team_member,
    do_add_team_village,
    do_create_team,
    do_load_default_packages,
    do_remove_team_member,
    do_remove_team_village,
    may_manage_team,
)
from lianxin.primarycare.actions.visits import VisitInput, do_record_visit

__all__ = [
    "VisitInput",
    "do_add_team_member",
    "do_add_team_village",
    "do_create_team",
    "do_load_default_packages",
    "do_record_key_population",
    "do_record_visit",
    "do_remove_team_member",
    "do_remove_team_village",
    "do_renew_contract",
    "do_sign_contract",
    "do_terminate_contract",
    "may_manage_team",
    "refresh_key_populations",
    "take_care_plan",
]
