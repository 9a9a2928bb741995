"""Writes to the network registry. Each action checks permission, validates, writes its row and
its audit row in one transaction.

Who may do what:
- create an institution in a community, create a community, add a member, sign an agreement:
  ``MANAGE_NETWORK`` at the community's lead institution (for an institution outside any community:
  ``MANAGE_NETWORK`` anywhere);
- edit an institution, its departments and equipment: ``MANAGE_INSTITUTION`` at that institution,
  or ``MANAGE_NETWORK`` at the lead of a community it belongs to.

Equipment status is written only here, with its history row (``EquipmentStatusChange``) and its
audit row in one transaction: at registration, and by ``do_change_equipment_status``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for, forget_access
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import (
    Agreement,
    AgreementKind,
    Capability,
    CapabilityKind,
    CentreType,
    Community,
    CommunityKind,
    CommunityMember,
    Department,
    DepartmentKind,
    Equipment,
    EquipmentStatus,
    EquipmentStatusChange,
    Institution,
    Tier,
    division_code_validator,
)

Errors = dict[str, list[str]]

# Signed agreements are scanned documents; anything else is refused before it reaches storage.
AGREEMENT_DOCUMENT_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".ofd")
AGREEMENT_DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _text(errors: Errors, field: str, value: Any, max_length: int, *, required: bool) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        _add(errors, field, _("This field is required."))
    elif len(text) > max_length:
        _add(errors, field, _("At most %(n)d characters.") % {"n": max_length})
    return text


def _field_max(model: Any, field: str) -> int:
    return model._meta.get_field(field).max_length


def _division_code(errors: Errors, value: Any, field: str = "division_code") -> str:
    code = str(value or "").strip()
    if not code:
        _add(errors, field, _("Enter the administrative division code."))
        return code
    try:
        division_code_validator(code)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
    return code


def _coordinate(errors: Errors, field: str, value: Any, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        _add(errors, field, _("Enter a number in decimal degrees."))
        return None
    if not number.is_finite() or not -limit <= number <= limit:
        _add(errors, field, _("Must be between -%(n)d and %(n)d degrees.") % {"n": limit})
        return None
    return number.quantize(Decimal("0.000001"))


def _beds(errors: Errors, value: Any) -> int:
    try:
        beds = int(value or 0)
    except (TypeError, ValueError):
        _add(errors, "beds", _("Enter a whole number of beds."))
        return 0
    if beds < 0 or beds > 100_000:
        _add(errors, "beds", _("Enter a number of beds between 0 and 100000."))
    return beds


def _choice(errors: Errors, field: str, value: Any, choices: Any) -> str:
    value = str(value or "").strip()
    if value not in choices.values:
        _add(errors, field, _("Choose a value from the list."))
    return value


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) and actor.pk else None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise NotAllowed(message)


def can_manage_network(actor: Any, community: Community | None) -> bool:
    """``MANAGE_NETWORK`` at the community's lead (anywhere when there is no community)."""
    access = access_for(actor)
    if community is None:
        return access.has_perm(Perm.MANAGE_NETWORK)
    return access.has_perm(Perm.MANAGE_NETWORK, community.lead_id)


def can_manage_institution(actor: Any, institution: Institution) -> bool:
    """The institution's own administrator, or a network administrator at the lead of one of the
    communities it belongs to (directly or through a county community inside an alliance)."""
    access = access_for(actor)
    if access.has_perm(Perm.MANAGE_INSTITUTION, institution):
        return True
    managed_leads = access.institutions_with(Perm.MANAGE_NETWORK)
    if not managed_leads:
        return False
    return bool(set(_lead_ids_over(institution)) & managed_leads)


def _lead_ids_over(institution: Institution) -> list[int]:
    """Lead institutions of every community containing the institution, walking up alliances."""
    communities = set(
        CommunityMember.objects.filter(member_institution=institution).values_list(
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
    return list(Community.objects.filter(pk__in=communities).values_list("lead_id", flat=True))


def _institution_snapshot(institution: Institution) -> dict[str, Any]:
    return {
        "name": institution.name,
        "short_name": institution.short_name,
        "code": institution.code,
        "tier": institution.tier,
        "grade": institution.grade,
        "division_code": institution.division_code,
        "address": institution.address,
        "latitude": institution.latitude,
        "longitude": institution.longitude,
        "beds": institution.beds,
        "phone": institution.phone,
        "parent": str(institution.parent.external_id) if institution.parent_id else None,
        "is_active": institution.is_active,
    }


def _clean_institution(errors: Errors, values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, required in (
        ("name", True),
        ("short_name", False),
        ("code", True),
        ("grade", False),
        ("address", False),
        ("phone", False),
    ):
        if field in values:
            clean[field] = _text(
                errors, field, values[field], _field_max(Institution, field), required=required
            )
    if "code" in clean:
        clean["code"] = clean["code"].replace(" ", "").upper()
    if "tier" in values:
        clean["tier"] = _choice(errors, "tier", values["tier"], Tier)
    if "division_code" in values:
        clean["division_code"] = _division_code(errors, values["division_code"])
    if "latitude" in values:
        clean["latitude"] = _coordinate(errors, "latitude", values["latitude"], 90)
    if "longitude" in values:
        clean["longitude"] = _coordinate(errors, "longitude", values["longitude"], 180)
    if "beds" in values:
        clean["beds"] = _beds(errors, values["beds"])
    if "parent" in values:
        clean["parent"] = values["parent"]
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    return clean


def do_create_institution(
    *,
    actor: Any,
    name: str,
    code: str,
    tier: str,
    division_code: str,
    short_name: str = "",
    grade: str = "",
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    beds: int = 0,
    phone: str = "",
    parent: Institution | None = None,
    community: Community | None = None,
) -> Institution:
    """Register an institution, and make it a member of ``community`` when one is given."""
    _require(
        can_manage_network(actor, community),
        _("You may not add institutions to this network."),
    )
    errors: Errors = {}
    clean = _clean_institution(
        errors,
        {
            "name": name,
            "short_name": short_name,
            "code": code,
            "tier": tier,
            "grade": grade,
            "division_code": division_code,
            "address": address,
            "latitude": latitude,
            "longitude": longitude,
            "beds": beds,
            "phone": phone,
            "parent": parent,
        },
    )
    if clean.get("code") and Institution.objects.filter(code=clean["code"]).exists():
        _add(errors, "code", _("An institution with this code is already registered."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        institution = Institution(**clean)
        try:
            with transaction.atomic():
                institution.save()
        except IntegrityError:
            raise ValidationError(
                {"code": [_("An institution with this code is already registered.")]}
            ) from None
        after = _institution_snapshot(institution)
        if community is not None:
            CommunityMember.objects.create(community=community, member_institution=institution)
            after["community"] = str(community.external_id)
        audit.record(
            "institution.create",
            actor=actor,
            target=institution,
            institution=institution,
            after=after,
        )
    forget_access(actor)
    return institution


def do_update_institution(*, actor: Any, institution: Institution, **changes: Any) -> Institution:
    """Change an institution's registry data; only the fields given change."""
    _require(
        can_manage_institution(actor, institution),
        _("You may not edit %(inst)s.") % {"inst": institution},
    )
    allowed = set(_institution_snapshot(institution))
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({key: [_("This field cannot be changed.")] for key in unknown})
    errors: Errors = {}
    clean = _clean_institution(errors, changes)
    parent = clean.get("parent")
    if parent is not None and parent.pk == institution.pk:
        _add(errors, "parent", _("An institution cannot supervise itself."))
    if (
        clean.get("code")
        and Institution.objects.filter(code=clean["code"]).exclude(pk=institution.pk).exists()
    ):
        _add(errors, "code", _("An institution with this code is already registered."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Institution.objects.select_for_update().get(pk=institution.pk)
        before = _institution_snapshot(locked)
        for key, value in clean.items():
            setattr(locked, key, value)
        after = _institution_snapshot(locked)
        changed = [key for key in after if after[key] != before[key]]
        if not changed:
            return locked
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError(
                {"code": [_("An institution with this code is already registered.")]}
            ) from None
        audit.record(
            "institution.update",
            actor=actor,
            target=locked,
            institution=locked,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return locked


def do_create_community(
    *,
    actor: Any,
    name: str,
    kind: str,
    lead: Institution,
    division_code: str,
    established_on: datetime.date | None = None,
    description: str = "",
) -> Community:
    """Found a community; its lead institution becomes its first member."""
    access = access_for(actor)
    _require(
        access.has_perm(Perm.MANAGE_NETWORK, lead),
        _("You may not found a community led by %(inst)s.") % {"inst": lead},
    )
    errors: Errors = {}
    name = _text(errors, "name", name, _field_max(Community, "name"), required=True)
    kind = _choice(errors, "kind", kind, CommunityKind)
    division_code = _division_code(errors, division_code)
    if name and Community.objects.filter(name=name).exists():
        _add(errors, "name", _("A community with this name exists."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                community = Community.objects.create(
                    name=name,
                    kind=kind,
                    lead=lead,
                    division_code=division_code,
                    established_on=established_on,
                    description=(description or "").strip(),
                )
        except IntegrityError:
            raise ValidationError({"name": [_("A community with this name exists.")]}) from None
        CommunityMember.objects.create(
            community=community, member_institution=lead, joined_on=established_on
        )
        audit.record(
            "community.create",
            actor=actor,
            target=community,
            institution=lead,
            after={
                "name": name,
                "kind": kind,
                "lead": str(lead.external_id),
                "division_code": division_code,
            },
        )
    forget_access(actor)
    return community


def _communities_inside(community: Community) -> set[int]:
    """The community and every community nested in it."""
    seen = {community.pk}
    frontier = {community.pk}
    while frontier:
        children = set(
            CommunityMember.objects.filter(
                community_id__in=frontier, member_community__isnull=False
            ).values_list("member_community_id", flat=True)
        )
        frontier = children - seen
        seen |= children
    return seen


def do_add_community_member(
    *,
    actor: Any,
    community: Community,
    institution: Institution | None = None,
    member_community: Community | None = None,
    joined_on: datetime.date | None = None,
) -> CommunityMember:
    """Add an institution, or (into an alliance) a county community, to a community."""
    _require(
        can_manage_network(actor, community),
        _("You may not change the members of %(c)s.") % {"c": community},
    )
    if (institution is None) == (member_community is None):
        raise ValidationError(
            {"member": [_("Add either one institution or one community, not both.")]}
        )
    with transaction.atomic():
        Community.objects.select_for_update().get(pk=community.pk)
        if member_community is not None:
            if community.kind != CommunityKind.ALLIANCE:
                raise ValidationError(
                    {"member_community": [_("Only an alliance can contain communities.")]}
                )
            if member_community.kind != CommunityKind.COUNTY:
                raise ValidationError(
                    {"member_community": [_("An alliance can contain county communities only.")]}
                )
            if community.pk in _communities_inside(member_community):
                raise ValidationError(
                    {"member_community": [_("This would put a community inside itself.")]}
                )
            exists = CommunityMember.objects.filter(
                community=community, member_community=member_community
            ).exists()
        else:
            exists = CommunityMember.objects.filter(
                community=community, member_institution=institution
            ).exists()
        if exists:
            raise Conflict(_("This member already belongs to the community."))
        member = CommunityMember.objects.create(
            community=community,
            member_institution=institution,
            member_community=member_community,
            joined_on=joined_on,
        )
        target = institution or member_community
        audit.record(
            "community.member.add",
            actor=actor,
            target=community,
            institution=community.lead_id,
            after={
                "member_type": "institution" if institution else "community",
                "member": str(target.external_id),
                "joined_on": joined_on,
            },
        )
    forget_access(actor)
    return member


def do_remove_community_member(*, actor: Any, member: CommunityMember) -> None:
    """Take a member out of a community (the lead stays)."""
    community = member.community
    _require(
        can_manage_network(actor, community),
        _("You may not change the members of %(c)s.") % {"c": community},
    )
    if member.member_institution_id == community.lead_id:
        raise ValidationError({"member": [_("The lead institution cannot leave its community.")]})
    with transaction.atomic():
        target = member.member_institution or member.member_community
        member.delete()
        audit.record(
            "community.member.remove",
            actor=actor,
            target=community,
            institution=community.lead_id,
            before={"member": str(target.external_id)},
        )
    forget_access(actor)


def _department_snapshot(department: Department) -> dict[str, Any]:
    return {
        "name": department.name,
        "code": department.code,
        "kind": department.kind,
        "centre_type": department.centre_type,
        "phone": department.phone,
        "is_active": department.is_active,
    }


def _clean_department(errors: Errors, values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, required in (("name", True), ("code", True), ("phone", False)):
        if field in values:
            clean[field] = _text(
                errors, field, values[field], _field_max(Department, field), required=required
            )
    if "kind" in values:
        clean["kind"] = _choice(errors, "kind", values["kind"], DepartmentKind)
    if "centre_type" in values:
        centre_type = str(values["centre_type"] or "").strip()
        if centre_type and centre_type not in CentreType.values:
            _add(errors, "centre_type", _("Choose a value from the list."))
        clean["centre_type"] = centre_type
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    return clean


def _check_centre_type(errors: Errors, kind: str, centre_type: str) -> None:
    if kind == DepartmentKind.SHARED_CENTRE and not centre_type:
        _add(errors, "centre_type", _("A shared centre needs a centre type."))
    if kind != DepartmentKind.SHARED_CENTRE and centre_type:
        _add(errors, "centre_type", _("Only a shared centre has a centre type."))


def do_create_department(
    *,
    actor: Any,
    institution: Institution,
    name: str,
    code: str,
    kind: str = DepartmentKind.CLINICAL,
    centre_type: str = "",
    phone: str = "",
) -> Department:
    """Add a department (or a shared centre) to an institution."""
    _require(
        can_manage_institution(actor, institution),
        _("You may not add departments to %(inst)s.") % {"inst": institution},
    )
    errors: Errors = {}
    clean = _clean_department(
        errors,
        {"name": name, "code": code, "kind": kind, "centre_type": centre_type, "phone": phone},
    )
    _check_centre_type(errors, clean["kind"], clean["centre_type"])
    duplicate = _("This institution already has a department with this code.")
    if (
        clean.get("code")
        and Department.objects.filter(institution=institution, code=clean["code"]).exists()
    ):
        _add(errors, "code", duplicate)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                department = Department.objects.create(institution=institution, **clean)
        except IntegrityError:
            raise ValidationError({"code": [duplicate]}) from None
        audit.record(
            "department.create",
            actor=actor,
            target=department,
            institution=institution,
            after=_department_snapshot(department),
        )
    return department


def do_update_department(*, actor: Any, department: Department, **changes: Any) -> Department:
    """Rename, recode, reclassify or deactivate a department; only the fields given change."""
    institution = department.institution
    _require(
        can_manage_institution(actor, institution),
        _("You may not edit the departments of %(inst)s.") % {"inst": institution},
    )
    unknown = set(changes) - set(_department_snapshot(department))
    if unknown:
        raise ValidationError({key: [_("This field cannot be changed.")] for key in unknown})
    errors: Errors = {}
    clean = _clean_department(errors, changes)
    _check_centre_type(
        errors,
        clean.get("kind", department.kind),
        clean.get("centre_type", department.centre_type),
    )
    duplicate = _("This institution already has a department with this code.")
    if (
        clean.get("code")
        and Department.objects.filter(institution=institution, code=clean["code"])
        .exclude(pk=department.pk)
        .exists()
    ):
        _add(errors, "code", duplicate)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Department.objects.select_for_update().get(pk=department.pk)
        before = _department_snapshot(locked)
        for key, value in clean.items():
            setattr(locked, key, value)
        after = _department_snapshot(locked)
        changed = [key for key in after if after[key] != before[key]]
        if not changed:
            return locked
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError({"code": [duplicate]}) from None
        audit.record(
            "department.update",
            actor=actor,
            target=locked,
            institution=institution,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return locked


def do_create_agreement(
    *,
    actor: Any,
    party_a: Institution,
    party_b: Institution,
    kind: str,
    scope: str,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None = None,
    community: Community | None = None,
    document: File | None = None,
) -> Agreement:
    """Record a signed cooperation agreement (the lead party is ``party_a``), with its scan."""
    access = access_for(actor)
    allowed = access.has_perm(Perm.MANAGE_NETWORK, party_a) or (
        community is not None and can_manage_network(actor, community)
    )
    _require(allowed, _("You may not record agreements for %(inst)s.") % {"inst": party_a})
    errors: Errors = {}
    kind = _choice(errors, "kind", kind, AgreementKind)
    scope = (scope or "").strip()
    if not scope:
        _add(errors, "scope", _("Describe what the agreement covers."))
    if party_a.pk == party_b.pk:
        _add(errors, "party_b", _("An agreement is between two different institutions."))
    if starts_on is None:
        _add(errors, "starts_on", _("Enter the date the agreement starts."))
    elif ends_on is not None and ends_on < starts_on:
        _add(errors, "ends_on", _("The agreement cannot end before it starts."))
    if document is not None:
        filename = (getattr(document, "name", "") or "").lower()
        if not filename.endswith(AGREEMENT_DOCUMENT_TYPES):
            _add(errors, "document", _("Upload the signed document as PDF, OFD, JPEG or PNG."))
        elif (getattr(document, "size", 0) or 0) > AGREEMENT_DOCUMENT_MAX_BYTES:
            _add(errors, "document", _("The document is larger than 20 MB."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        agreement = Agreement(
            party_a=party_a,
            party_b=party_b,
            community=community,
            kind=kind,
            scope=scope,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        if document is not None:
            agreement.document.save(document.name.rsplit("/", 1)[-1], document, save=False)
        agreement.save()
        audit.record(
            "agreement.create",
            actor=actor,
            target=agreement,
            institution=party_a,
            after={
                "party_a": str(party_a.external_id),
                "party_b": str(party_b.external_id),
                "kind": kind,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "document": agreement.document.name or None,
            },
        )
    return agreement


def history_start(installed_on: datetime.date | None, registered_at: datetime.datetime):
    """When a piece's first status entry takes effect: the start of its installation day if that
    is earlier than its registration (its status is taken to hold since then), else the
    registration itself. The data migration that began the history uses the same rule."""
    if installed_on is None:
        return registered_at
    start = timezone.make_aware(datetime.datetime.combine(installed_on, datetime.time.min))
    return min(start, registered_at)


def do_register_equipment(
    *,
    actor: Any,
    institution: Institution,
    capability: Capability,
    name: str,
    model_name: str = "",
    serial_number: str = "",
    department: Department | None = None,
    status: str = EquipmentStatus.IN_USE,
    installed_on: datetime.date | None = None,
) -> Equipment:
    """Register a piece of equipment; in use, it gives the institution its facility capability."""
    _require(
        can_manage_institution(actor, institution),
        _("You may not register equipment at %(inst)s.") % {"inst": institution},
    )
    errors: Errors = {}
    name = _text(errors, "name", name, _field_max(Equipment, "name"), required=True)
    model_name = _text(
        errors, "model_name", model_name, _field_max(Equipment, "model_name"), required=False
    )
    serial_number = _text(
        errors,
        "serial_number",
        serial_number,
        _field_max(Equipment, "serial_number"),
        required=False,
    )
    status = _choice(errors, "status", status, EquipmentStatus)
    if capability.kind != CapabilityKind.FACILITY:
        _add(errors, "capability", _("Equipment provides a facility, not a procedure."))
    if department is not None and department.institution_id != institution.pk:
        _add(errors, "department", _("The department belongs to another institution."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        equipment = Equipment.objects.create(
            institution=institution,
            department=department,
            capability=capability,
            name=name,
            model_name=model_name,
            serial_number=serial_number,
            status=status,
            installed_on=installed_on,
        )
        EquipmentStatusChange.objects.create(
            equipment=equipment,
            status=status,
            changed_at=history_start(installed_on, equipment.created_at),
            changed_by=_user_or_none(actor),
        )
        audit.record(
            "equipment.register",
            actor=actor,
            target=equipment,
            institution=institution,
            after={
                "name": name,
                "capability": capability.code,
                "status": status,
                "serial_number": serial_number,
            },
        )
    return equipment


def do_change_equipment_status(
    *, actor: Any, equipment: Equipment, status: str, note: str = ""
) -> Equipment:
    """Mark equipment in use, idle or broken (a broken CT stops counting as a CT here), from now
    on: the status history gains a row, so a question about an earlier moment still gets the
    status of that moment."""
    institution = equipment.institution
    _require(
        can_manage_institution(actor, institution),
        _("You may not change equipment at %(inst)s.") % {"inst": institution},
    )
    errors: Errors = {}
    status = _choice(errors, "status", status, EquipmentStatus)
    note = _text(errors, "note", note, 200, required=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Equipment.objects.select_for_update().get(pk=equipment.pk)
        if locked.status == status:
            return locked
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        EquipmentStatusChange.objects.create(
            equipment=locked,
            status=status,
            changed_at=locked.updated_at,
            changed_by=_user_or_none(actor),
            note=note,
        )
        audit.record(
            "equipment.status",
            actor=actor,
            target=locked,
            institution=institution,
            before={"status": before},
            after={"status": status, "note": note},
        )
    return locked
