"""What the sterile actions share: permission checks against the centre or the branch."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm


def require(actor: Any, perm: Perm, institution_id: int, message: str | None = None) -> None:
    if not access_for(actor).has_perm(perm, institution_id):
        raise NotAllowed(message or _("Your role does not take part in this step."))


def clean(value: Any, limit: int = 200) -> str:
    return " ".join(str(value or "").split())[:limit]
