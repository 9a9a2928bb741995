"""What a calling AE may see: as a clinical member of the AE's institution would (the access
model of DESIGN §5, with the institution as the boundary), and how the AE is named in audit."""

from __future__ import annotations

from lianxin.core.access import Access
from lianxin.core.permissions import Perm
from lianxin.network.models import ApplicationEntity

AE_PERMS = frozenset({Perm.VIEW_REGISTRY, Perm.VIEW_PATIENT})


def ae_access(entity: ApplicationEntity) -> Access:
    """The access of an AE: its institution's patient records (no break-glass, no user)."""
    return Access(
        user_id=0,
        institution_ids=frozenset({entity.institution_id}),
        perms_by_institution={entity.institution_id: AE_PERMS},
    )


def ae_actor(entity: ApplicationEntity | None, title: str = "") -> str:
    """The actor label of an AE in the audit log."""
    return f"dicom:{entity.ae_title if entity else title}"


def known_ae(title: str) -> ApplicationEntity | None:
    """The active registered AE of a calling AE title (spaces are not significant)."""
    title = (title or "").strip()
    if not title:
        return None
    return (
        ApplicationEntity.objects.select_related("institution")
        .filter(ae_title=title, is_active=True, institution__is_active=True)
        .first()
    )
