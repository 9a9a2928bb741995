"""Writes about people: practitioners, credentials, user accounts and memberships.

Each action checks ``MANAGE_WORKFORCE`` at the institution concerned, validates, and writes its row
with its audit row in one transaction. Granting a role is limited further: an actor can hand out
only permissions they hold themselves at that institution, so no one can promote themselves or
others above their own rank.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for, forget_access
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.permissions import Perm, Role, permissions_for
from lianxin.network.models import Capability, CapabilityKind, Department, Institution, Tier
from lianxin.workforce.models import (
    Credential,
    Membership,
    Practitioner,
    Profession,
    Specialty,
    Title,
)

Errors = dict[str, list[str]]
User = get_user_model()

# Permissions over other people and the registry: only someone who holds them may hand them out.
ADMINISTRATIVE_PERMS = frozenset(
    {
        Perm.MANAGE_INSTITUTION,
        Perm.MANAGE_NETWORK,
        Perm.MANAGE_WORKFORCE,
        Perm.IMPORT_DATA,
        Perm.VIEW_AUDIT,
        Perm.VIEW_AGGREGATES,
    }
)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _text(errors: Errors, field: str, value: Any, max_length: int, *, required: bool) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        _add(errors, field, _("This field is required."))
    elif len(text) > max_length:
        _add(errors, field, _("At most %(n)d characters.") % {"n": max_length})
    return text


def _max(model: Any, field: str) -> int:
    return model._meta.get_field(field).max_length


def _require_workforce(actor: Any, institution: Institution) -> None:
    if not access_for(actor).has_perm(Perm.MANAGE_WORKFORCE, institution):
        raise NotAllowed(_("You may not manage the staff of %(inst)s.") % {"inst": institution})


def _practitioner_snapshot(practitioner: Practitioner) -> dict[str, Any]:
    return {
        "name": practitioner.name,
        "sex": practitioner.sex,
        "profession": practitioner.profession,
        "title": practitioner.title,
        "licence_number": practitioner.licence_number,
        "department": str(practitioner.department.external_id)
        if practitioner.department_id
        else None,
        "phone": practitioner.phone,
        "is_active": practitioner.is_active,
    }


def _clean_practitioner(
    errors: Errors, values: dict[str, Any], institution: Institution, exclude_pk: int | None
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        clean["name"] = _text(
            errors, "name", values["name"], _max(Practitioner, "name"), required=True
        )
    if "sex" in values:
        sex = str(values["sex"] or "").strip()
        if sex not in {"", "M", "F"}:
            _add(errors, "sex", _("Choose a value from the list."))
        clean["sex"] = sex
    if "profession" in values:
        profession = str(values["profession"] or "").strip()
        if profession not in Profession.values:
            _add(errors, "profession", _("Choose a value from the list."))
        clean["profession"] = profession
    if "title" in values:
        title = str(values["title"] or "").strip()
        if title not in Title.values:
            _add(errors, "title", _("Choose a title from the list."))
        clean["title"] = title
    if "licence_number" in values:
        number = "".join(str(values["licence_number"] or "").split()) or None
        if number and len(number) > _max(Practitioner, "licence_number"):
            _add(errors, "licence_number", _("At most %(n)d characters.") % {"n": 30})
        elif number:
            taken = Practitioner.objects.filter(licence_number=number)
            if exclude_pk is not None:
                taken = taken.exclude(pk=exclude_pk)
            if taken.exists():
                _add(
                    errors,
                    "licence_number",
                    _("A practitioner with this licence number is already registered."),
                )
        clean["licence_number"] = number
    if "department" in values:
        department = values["department"]
        if department is not None and department.institution_id != institution.pk:
            _add(errors, "department", _("The department belongs to another institution."))
        clean["department"] = department
    if "phone" in values:
        clean["phone"] = _text(
            errors, "phone", values["phone"], _max(Practitioner, "phone"), required=False
        )
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    return clean


def _specialties(errors: Errors, specialties: Iterable[Any]) -> list[Specialty]:
    """Accept Specialty rows or catalogue codes ("03.04")."""
    found: list[Specialty] = []
    codes: list[str] = []
    for item in specialties:
        if isinstance(item, Specialty):
            found.append(item)
        else:
            codes.append(str(item).strip())
    if codes:
        rows = {row.code: row for row in Specialty.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in rows]
        if missing:
            _add(
                errors,
                "specialties",
                _("Unknown specialty code: %(codes)s.") % {"codes": ", ".join(missing)},
            )
        found.extend(rows.values())
    return found


def do_create_practitioner(
    *,
    actor: Any,
    institution: Institution,
    name: str,
    title: str,
    sex: str = "",
    profession: str = Profession.PHYSICIAN,
    licence_number: str | None = None,
    department: Department | None = None,
    specialties: Iterable[Any] = (),
    phone: str = "",
) -> Practitioner:
    """Register a health professional whose primary post is at ``institution``."""
    _require_workforce(actor, institution)
    errors: Errors = {}
    clean = _clean_practitioner(
        errors,
        {
            "name": name,
            "sex": sex,
            "profession": profession,
            "title": title,
            "licence_number": licence_number,
            "department": department,
            "phone": phone,
        },
        institution,
        None,
    )
    chosen = _specialties(errors, specialties)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                practitioner = Practitioner.objects.create(institution=institution, **clean)
        except IntegrityError:
            raise ValidationError(
                {
                    "licence_number": [
                        _("A practitioner with this licence number is already registered.")
                    ]
                }
            ) from None
        practitioner.specialties.set(chosen)
        audit.record(
            "practitioner.create",
            actor=actor,
            target=practitioner,
            institution=institution,
            after={
                **_practitioner_snapshot(practitioner),
                "specialties": sorted(s.code for s in chosen),
            },
        )
    return practitioner


def do_update_practitioner(
    *,
    actor: Any,
    practitioner: Practitioner,
    specialties: Iterable[Any] | None = None,
    **changes: Any,
) -> Practitioner:
    """Change a practitioner's data (title, department, licence …); only the fields given."""
    institution = practitioner.institution
    _require_workforce(actor, institution)
    unknown = set(changes) - set(_practitioner_snapshot(practitioner))
    if unknown:
        raise ValidationError({key: [_("This field cannot be changed.")] for key in unknown})
    errors: Errors = {}
    clean = _clean_practitioner(errors, changes, institution, practitioner.pk)
    chosen = _specialties(errors, specialties) if specialties is not None else None
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        before = _practitioner_snapshot(locked)
        before["specialties"] = sorted(locked.specialties.values_list("code", flat=True))
        for key, value in clean.items():
            setattr(locked, key, value)
        after = _practitioner_snapshot(locked)
        after["specialties"] = before["specialties"]
        if chosen is not None:
            after["specialties"] = sorted(s.code for s in chosen)
        changed = [key for key in after if after[key] != before[key]]
        if not changed:
            return locked
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError(
                {
                    "licence_number": [
                        _("A practitioner with this licence number is already registered.")
                    ]
                }
            ) from None
        if chosen is not None:
            locked.specialties.set(chosen)
        audit.record(
            "practitioner.update",
            actor=actor,
            target=locked,
            institution=institution,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return locked


def do_grant_credential(
    *,
    actor: Any,
    practitioner: Practitioner,
    capability: Capability,
    granted_on: datetime.date | None = None,
    expires_on: datetime.date | None = None,
) -> Credential:
    """Credential a practitioner for a procedure (手术/技术授权) on behalf of their institution."""
    institution = practitioner.institution
    _require_workforce(actor, institution)
    granted_on = granted_on or timezone.localdate()
    errors: Errors = {}
    if capability.kind != CapabilityKind.PROCEDURE:
        _add(errors, "capability", _("Credentials are granted for procedures only."))
    if expires_on is not None and expires_on < granted_on:
        _add(errors, "expires_on", _("A credential cannot expire before it is granted."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if Credential.objects.filter(practitioner=practitioner, capability=capability).exists():
            raise Conflict(_("This practitioner already holds this credential."))
        try:
            with transaction.atomic():
                credential = Credential.objects.create(
                    practitioner=practitioner,
                    capability=capability,
                    granted_on=granted_on,
                    expires_on=expires_on,
                    granted_by=institution,
                )
        except IntegrityError:
            raise Conflict(_("This practitioner already holds this credential.")) from None
        audit.record(
            "credential.grant",
            actor=actor,
            target=practitioner,
            institution=institution,
            after={
                "procedure": capability.code,
                "granted_on": granted_on,
                "expires_on": expires_on,
            },
        )
    return credential


def do_revoke_credential(*, actor: Any, credential: Credential, reason: str = "") -> None:
    """Withdraw a credential; the audit row keeps what it was and why."""
    practitioner = credential.practitioner
    _require_workforce(actor, practitioner.institution)
    with transaction.atomic():
        audit.record(
            "credential.revoke",
            actor=actor,
            target=practitioner,
            institution=practitioner.institution,
            before={
                "procedure": credential.capability.code,
                "granted_on": credential.granted_on,
                "expires_on": credential.expires_on,
            },
            after={"reason": " ".join((reason or "").split())},
        )
        credential.delete()


def _check_can_grant(actor: Any, institution: Institution, role: str) -> None:
    """No escalation: the actor holds every administrative permission the role gives, at that
    institution. Clinical permissions are the staff's own; an administrator grants them without
    holding them."""
    access = access_for(actor)
    if access.is_superuser:
        return
    _require_workforce(actor, institution)
    held = access.perms_by_institution.get(institution.pk, frozenset())
    if not (permissions_for(role) & ADMINISTRATIVE_PERMS) <= held:
        raise NotAllowed(
            _("You may not grant a role with more rights than your own at %(inst)s.")
            % {"inst": institution}
        )


def _check_commission_role(errors: Errors, institution: Institution, role: str) -> None:
    """The commission role scopes by division code, so it belongs to a commission body only."""
    if role == Role.COMMISSION and institution.tier != Tier.COMMISSION:
        _add(errors, "role", _("The health-commission role is held at a health commission only."))


def do_grant_membership(
    *,
    actor: Any,
    user: Any,
    institution: Institution,
    role: str,
    department: Department | None = None,
    valid_until: datetime.date | None = None,
) -> Membership:
    """Give a user a role at an institution (or re-activate a revoked one)."""
    errors: Errors = {}
    if role not in Role.values:
        _add(errors, "role", _("Choose a role from the list."))
    _check_commission_role(errors, institution, role)
    if department is not None and department.institution_id != institution.pk:
        _add(errors, "department", _("The department belongs to another institution."))
    if valid_until is not None and valid_until < timezone.localdate():
        _add(errors, "valid_until", _("The date is in the past."))
    if errors:
        raise ValidationError(errors)
    _check_can_grant(actor, institution, role)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(user=user, institution=institution, role=role)
            .first()
        )
        if membership is not None and membership.is_active:
            raise Conflict(_("The user already holds this role here."))
        if membership is None:
            membership = Membership.objects.create(
                user=user,
                institution=institution,
                role=role,
                department=department,
                valid_until=valid_until,
            )
        else:
            membership.is_active = True
            membership.department = department
            membership.valid_until = valid_until
            membership.save(update_fields=["is_active", "department", "valid_until"])
        audit.record(
            "membership.grant",
            actor=actor,
            target=user,
            institution=institution,
            after={
                "role": role,
                "department": str(department.external_id) if department else None,
                "valid_until": valid_until,
            },
        )
    forget_access(user)
    return membership


def do_revoke_membership(*, actor: Any, membership: Membership) -> Membership:
    """End a user's role at an institution; the row stays (inactive) for the record."""
    institution = membership.institution
    access = access_for(actor)
    if not access.is_superuser:
        _require_workforce(actor, institution)
        held = access.perms_by_institution.get(institution.pk, frozenset())
        if not (permissions_for(membership.role) & ADMINISTRATIVE_PERMS) <= held:
            raise NotAllowed(_("You may not revoke a role with more rights than your own."))
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit.record(
            "membership.revoke",
            actor=actor,
            target=locked.user,
            institution=institution,
            before={"role": locked.role},
        )
    forget_access(locked.user)
    forget_access(membership.user)
    return locked


def do_create_user_account(
    *,
    actor: Any,
    institution: Institution,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    phone: str = "",
    email: str = "",
    practitioner: Practitioner | None = None,
) -> Any:
    """Open a sign-in account at an institution with a first role; optionally link it to the
    practitioner record of the person. The password passes Django's validators and is stored with
    the configured hasher (Argon2)."""
    _require_workforce(actor, institution)
    errors: Errors = {}
    if role not in Role.values:
        _add(errors, "role", _("Choose a role from the list."))
    else:
        _check_can_grant(actor, institution, role)
    _check_commission_role(errors, institution, role)
    username = (username or "").strip()
    if not username:
        _add(errors, "username", _("This field is required."))
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors.setdefault("username", []).extend(exc.messages)
        if len(username) > _max(User, "username"):
            _add(errors, "username", _("At most %(n)d characters.") % {"n": 150})
        elif User.objects.filter(username__iexact=username).exists():
            _add(errors, "username", _("This user name is taken."))
    display_name = _text(
        errors, "display_name", display_name, _max(User, "display_name"), required=False
    )
    phone = _text(errors, "phone", phone, _max(User, "phone"), required=False)
    email = (email or "").strip()
    candidate = User(username=username, display_name=display_name, email=email, phone=phone)
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as exc:
        errors.setdefault("password", []).extend(exc.messages)
    if practitioner is not None:
        if practitioner.institution_id != institution.pk:
            _add(errors, "practitioner", _("The practitioner works at another institution."))
        elif practitioner.user_id is not None:
            _add(errors, "practitioner", _("The practitioner already has an account."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        candidate.set_password(password)
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError:
            raise ValidationError({"username": [_("This user name is taken.")]}) from None
        Membership.objects.create(user=candidate, institution=institution, role=role)
        if practitioner is not None:
            Practitioner.objects.filter(pk=practitioner.pk).update(user=candidate)
        audit.record(
            "user.create",
            actor=actor,
            target=candidate,
            institution=institution,
            after={
                "username": username,
                "display_name": display_name,
                "role": role,
                "practitioner": str(practitioner.external_id) if practitioner else None,
            },
        )
    return candidate
