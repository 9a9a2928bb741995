"""Helpers the referral pages share: permission gates, action error handling, choices."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.referrals import inputs


def require_workflow_role(request: HttpRequest) -> None:
    access = access_for(request.user)
    if not (
        access.is_superuser
        or access.has_perm(Perm.REQUEST_SERVICE)
        or access.has_perm(Perm.PERFORM_SERVICE)
    ):
        raise PermissionDenied(_("Your role does not take part in referrals or consultations."))


def requesting_institutions(request: HttpRequest):
    return inputs.requesting_institutions(request.user)


def care_institutions(request: HttpRequest):
    """Institutions of the user's network that take part in referrals, higher levels first."""
    return inputs.care_institutions(request.user)


departments_of = inputs.departments_of
