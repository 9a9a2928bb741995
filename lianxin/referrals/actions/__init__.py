"""Writes of the referrals app. Each action runs in one transaction with its audit rows; the
workflow engine writes the history and fires the notifications after commit."""

from lianxin.referrals.actions.consultations import (
    do_accept_consultation,
    do_cancel_consultation,
    do_contribute_opinion,
    do_rate_consultation,
    do_reject_consultation,
    do_request_consultation,
    do_sign_opinion,
)
from lianxin.referrals.actions.referrals import (
    do_accept_referral,
    do_add_follow_up,
    do_cancel_referral,
    do_complete_referral,
    do_create_referral,
    do_mark_outcome_seen,
    do_receive_referral,
    do_record_arrival,
    do_record_follow_up,
    do_record_milestone,
    do_record_no_show,
    do_reject_referral,
    do_submit_referral,
    follow_up_delegates,
)
from lianxin.referrals.actions.slots import do_publish_slots, do_withdraw_slot

__all__ = [
    "do_accept_consultation",
    "do_accept_referral",
    "do_add_follow_up",
    "do_cancel_consultation",
    "do_cancel_referral",
    "do_complete_referral",
    "do_contribute_opinion",
    "do_create_referral",
    "do_mark_outcome_seen",
    "do_publish_slots",
    "do_rate_consultation",
    "do_receive_referral",
    "do_record_arrival",
    "do_record_follow_up",
    "do_record_milestone",
    "do_record_no_show",
    "do_reject_consultation",
    "do_reject_referral",
    "do_request_consultation",
    "do_sign_opinion",
    "do_submit_referral",
    "do_withdraw_slot",
    "follow_up_delegates",
]
