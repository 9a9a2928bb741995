"""Writes of the sterile-supply centre. Each ``do_<verb>_<noun>`` runs in one transaction and
writes its audit row there; a refused scan raises and leaves nothing changed."""

from lianxin.sterile.actions.catalogue import do_create_instrument_set, do_register_pack
from lianxin.sterile.actions.loads import (
    do_finish_load,
    do_read_biological_indicator,
    do_record_bowie_dick,
    do_release_load,
    do_start_sterilisation_load,
    do_start_washer_load,
    release_blockers,
)
from lianxin.sterile.actions.recalls import (
    do_confirm_branch_returns,
    do_open_recall,
)
from lianxin.sterile.actions.requests import do_request_packs
from lianxin.sterile.actions.scan import ScanInput, do_scan_pack

__all__ = [
    "ScanInput",
    "do_confirm_branch_returns",
    "do_create_instrument_set",
    "do_finish_load",
    "do_open_recall",
    "do_read_biological_indicator",
    "do_record_bowie_dick",
    "do_register_pack",
    "do_release_load",
    "do_request_packs",
    "do_scan_pack",
    "do_start_sterilisation_load",
    "do_start_washer_load",
    "release_blockers",
]
