"""Helpers the family-doctor pages share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm


def require_family_doctor(request: HttpRequest) -> None:
    if not access_for(request.user).has_perm(Perm.FAMILY_DOCTOR):
        raise PermissionDenied(_("Your role does not work with family-doctor contracts."))
