"""Who may see and do what (DESIGN §5).

``access_for(user)`` reads the user's memberships once per request and answers:
- which institutions the user acts for (``institution_ids``) and with which permissions;
- which institutions the user can see in the registry (the communities they belong to, an alliance
  reaching down into its county communities; a health commission by its administrative division);
- whether the user is a health-commission reader (aggregates only, never a patient row).

``visible_to(user)`` on each model's queryset is the only way views and the API list rows, and
``get_for_user`` the only way they fetch one: a row outside the user's scope is a 404, not a 403.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.db import models
from django.http import Http404
from django.utils import timezone

from lianxin.core.permissions import Perm, Role, permissions_for

M = TypeVar("M", bound=models.Model)


@dataclass
class Access:
    user_id: int | None
    is_superuser: bool = False
    institution_ids: frozenset[int] = frozenset()
    perms_by_institution: dict[int, frozenset[Perm]] = field(default_factory=dict)
    roles_by_institution: dict[int, frozenset[str]] = field(default_factory=dict)
    department_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    registry_institution_ids: frozenset[int] = frozenset()
    commission_prefixes: tuple[str, ...] = ()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_commission(self) -> bool:
        return bool(self.commission_prefixes)

    @property
    def clinical_institution_ids(self) -> frozenset[int]:
        """Institutions whose patient records this user may open."""
        return frozenset(
            inst for inst, perms in self.perms_by_institution.items() if Perm.VIEW_PATIENT in perms
        )

    def has_perm(self, perm: Perm, institution: Any | None = None) -> bool:
        if self.is_superuser:
            return True
        if institution is None:
            return any(perm in perms for perms in self.perms_by_institution.values())
        inst_id = getattr(institution, "pk", institution)
        return perm in self.perms_by_institution.get(inst_id, frozenset())

    def institutions_with(self, perm: Perm) -> frozenset[int]:
        return frozenset(i for i, perms in self.perms_by_institution.items() if perm in perms)

    def roles(self) -> frozenset[str]:
        out: set[str] = set()
        for roles in self.roles_by_institution.values():
            out |= roles
        return frozenset(out)


ANONYMOUS = Access(user_id=None)


def _division_prefix(code: str) -> str:
    """Strip the zero pairs that pad a division code: 350426000000 → 350426, 350000 → 35."""
    code = (code or "").strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _compute(user: Any) -> Access:
    Membership = apps.get_model("workforce", "Membership")
    CommunityMember = apps.get_model("network", "CommunityMember")
    Institution = apps.get_model("network", "Institution")
    today = timezone.localdate()
    rows = list(
        Membership.objects.filter(user=user, is_active=True)
        .filter(models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=today))
        .values_list("institution_id", "role", "department_id", "institution__division_code")
    )
    perms: dict[int, set[Perm]] = {}
    roles: dict[int, set[str]] = {}
    departments: set[int] = set()
    prefixes: list[str] = []
    for inst_id, role, dept_id, division in rows:
        perms.setdefault(inst_id, set()).update(permissions_for(role))
        roles.setdefault(inst_id, set()).add(role)
        if dept_id:
            departments.add(dept_id)
        if role == Role.COMMISSION and division:
            prefixes.append(_division_prefix(division))
    institution_ids = frozenset(perms)

    # Communities: those the user's institutions belong to, and every community those belong to
    # in turn (a county community inside an alliance).
    communities = set(
        CommunityMember.objects.filter(member_institution_id__in=institution_ids).values_list(
            "community_id", flat=True
        )
    )
    frontier = set(communities)
    while frontier:
        parents = set(
            CommunityMember.objects.filter(member_community_id__in=frontier).values_list(
                "community_id", flat=True
            )
        )
        frontier = parents - communities
        communities |= parents
    # Registry reach goes down: an alliance sees its county communities' institutions too.
    reach = set(communities)
    frontier = set(communities)
    while frontier:
        children = set(
            CommunityMember.objects.filter(
                community_id__in=frontier, member_community__isnull=False
            ).values_list("member_community_id", flat=True)
        )
        frontier = children - reach
        reach |= children
    registry = set(
        CommunityMember.objects.filter(
            community_id__in=reach, member_institution__isnull=False
        ).values_list("member_institution_id", flat=True)
    )
    registry |= institution_ids
    if prefixes:
        condition = models.Q()
        for prefix in prefixes:
            condition |= models.Q(division_code__startswith=prefix)
        registry |= set(Institution.objects.filter(condition).values_list("id", flat=True))
    return Access(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        institution_ids=institution_ids,
        perms_by_institution={k: frozenset(v) for k, v in perms.items()},
        roles_by_institution={k: frozenset(v) for k, v in roles.items()},
        department_ids=frozenset(departments),
        community_ids=frozenset(communities),
        registry_institution_ids=frozenset(registry),
        commission_prefixes=tuple(prefixes),
    )


def access_for(user: Any) -> Access:
    """The user's access, computed once and kept on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_lianxin_access", None)
    if cached is None:
        cached = _compute(user)
        user._lianxin_access = cached
    return cached


def forget_access(user: Any) -> None:
    """Drop the cached access after memberships change."""
    if hasattr(user, "_lianxin_access"):
        del user._lianxin_access


class ScopedQuerySet(models.QuerySet):
    """A queryset that can restrict itself to what a user may see; each model says how."""

    def visible_to(self, user: Any) -> ScopedQuerySet:
        access = access_for(user)
        if not access.is_authenticated:
            return self.none()
        if access.is_superuser:
            return self.all()
        return self.scope(access)

    def scope(self, access: Access) -> ScopedQuerySet:  # pragma: no cover - each model overrides
        raise NotImplementedError(f"{self.model.__name__} does not define its scope")


def get_for_user(source: type[M] | models.QuerySet, user: Any, public_id: Any) -> M:
    """Fetch one row by its public id within the user's scope; anything else is a 404."""
    queryset = source._default_manager.all() if isinstance(source, type) else source
    try:
        key = uuid.UUID(str(public_id))
    except (TypeError, ValueError) as exc:
        raise Http404("not found") from exc
    try:
        return queryset.visible_to(user).get(external_id=key)
    except queryset.model.DoesNotExist as exc:
        raise Http404("not found") from exc
