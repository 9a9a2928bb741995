"""Creating workflow items and moving them from one status to another, safely and audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit, notify
from lianxin.core.access import access_for
from lianxin.core.errors import ActionError, Conflict, NotAllowed
from lianxin.core.workflow.definition import DEFAULT_PERMS, PREVIOUS, Transition
from lianxin.core.workflow.models import TransitionRecord, WorkflowItem
from lianxin.core.workflow.signals import workflow_transitioned
from lianxin.core.workflow.states import Side, Status, status_label, step_label

I = TypeVar("I", bound=WorkflowItem)  # noqa: E741

# Bookkeeping that only the workflow itself may change; ``changes`` cannot touch it.
PROTECTED_FIELDS = frozenset(
    {
        "id",
        "external_id",
        "created_at",
        "updated_at",
        "status",
        "version",
        "status_changed_at",
        "due_at",
        "escalation_level",
    }
)
_STATUS_VALUES = frozenset(s.value for s in Status)


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _noun(item: WorkflowItem) -> str:
    return str(item._meta.verbose_name)


def _previous_status(item: WorkflowItem) -> str | None:
    """The status an on-hold item had before it was put on hold (from its history)."""
    return (
        item.history_model()
        .objects.filter(item=item, to_status=Status.ON_HOLD)
        .exclude(from_status=Status.ON_HOLD)
        .order_by("-at", "-id")
        .values_list("from_status", flat=True)
        .first()
    )


def _target_of(item: WorkflowItem, t: Transition) -> Status | None:
    if t.target != PREVIOUS:
        return t.target  # type: ignore[return-value]
    previous = _previous_status(item)
    return Status(previous) if previous else None


def _candidates(item: WorkflowItem, key: str) -> list[tuple[Transition, Status]]:
    out = []
    for t in item.workflow.from_status(item.status):
        target = _target_of(item, t)
        if target is None:
            continue
        if (key in _STATUS_VALUES and target == key) or t.name == key:
            out.append((t, target))
    return out


def _refusal(item: WorkflowItem, key: str) -> ActionError:
    workflow = item.workflow
    allowed = sorted({step_label(t.name) for t in workflow.from_status(item.status)})
    now_allowed = ", ".join(allowed) or _("nothing (it is closed)")
    current = status_label(item.status)
    if key in _STATUS_VALUES:
        message = _("This %(noun)s cannot go from %(current)s to %(target)s.") % {
            "noun": _noun(item),
            "current": current,
            "target": status_label(key),
        }
    else:
        sources = sorted(
            {status_label(s) for t in workflow.transitions if t.name == key for s in t.sources}
        )
        if sources:
            message = _("Cannot %(name)s this %(noun)s: it is %(current)s (only from %(src)s).") % {
                "name": step_label(key),
                "noun": _noun(item),
                "current": current,
                "src": ", ".join(sources),
            }
        else:
            message = _("There is no step named %(name)s for a %(noun)s.") % {
                "noun": _noun(item),
                "name": key,
            }
    allowed_now = _("Allowed now: %(list)s.") % {"list": now_allowed}
    return ActionError(f"{message} {allowed_now}", code="invalid_transition")


def _sides(side: Side) -> tuple[Side, ...]:
    return (Side.REQUESTER, Side.PERFORMER) if side == Side.EITHER else (side,)


def _party(item: WorkflowItem, side: Side) -> int | None:
    if side == Side.REQUESTER:
        return item.requester_institution_id
    if side == Side.PERFORMER:
        return item.performer_institution_id
    return None


def _acting_side(
    item: WorkflowItem, t: Transition, actor: Any, acting_for: Any
) -> tuple[Side, int] | None:
    """The side and institution for which ``actor`` may make ``t`` on ``item``, if any."""
    access = access_for(actor)
    if not access.is_authenticated:
        return None
    for side in _sides(t.side):
        institution_id = _party(item, side)
        if acting_for is not None and institution_id != _pk(acting_for):
            continue
        perm = t.perm_for(side)
        if perm is not None and access.has_perm(perm, institution_id):
            return side, institution_id
    return None


def allowed_transitions(item: WorkflowItem, actor: Any) -> list[Transition]:
    """The transitions ``actor`` may make on ``item`` now (for the buttons of a page)."""
    out = []
    for t in item.workflow.from_status(item.status):
        if t.is_system or _target_of(item, t) is None:
            continue
        if _acting_side(item, t, actor, None) is not None:
            out.append(t)
    return out


def _choose(
    item: WorkflowItem, key: str, actor: Any, acting_for: Any, as_system: bool
) -> tuple[Transition, Status, Side, int | None]:
    candidates = _candidates(item, key)
    if not candidates:
        raise _refusal(item, key)
    system_mode = actor is None or as_system
    fitting = [(t, target) for t, target in candidates if t.is_system == system_mode]
    if not fitting:
        if system_mode:
            raise NotAllowed(
                _("Only a person acting for a party to the %(noun)s may do this.")
                % {"noun": _noun(item)}
            )
        raise NotAllowed(_("Only the platform itself may do this."))
    if system_mode:
        t, target = fitting[0]
        return t, target, Side.SYSTEM, _pk(acting_for)
    for t, target in fitting:
        acting = _acting_side(item, t, actor, acting_for)
        if acting is not None:
            return t, target, acting[0], acting[1]
    parties = sorted({s.label for t, _target in fitting for s in _sides(t.side)})
    raise NotAllowed(
        _("Only the %(parties)s of this %(noun)s, with the right permission, may do this.")
        % {"parties": _(" or ").join(str(p).lower() for p in parties), "noun": _noun(item)}
    )


def _check_business_status(workflow: Any, status: Status, label: str) -> None:
    allowed = workflow.business_statuses.get(status)
    if label and allowed is not None and label not in allowed:
        raise ValidationError(
            {
                "business_status": [
                    _("%(label)s is not a step of %(status)s (allowed: %(allowed)s).")
                    % {
                        "label": label,
                        "status": Status(status).label,
                        "allowed": ", ".join(sorted(allowed)),
                    }
                ]
            }
        )


def _apply_changes(item: WorkflowItem, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set the extra fields; returns their old values by attname (for the audit row)."""
    before: dict[str, Any] = {}
    for name, value in changes.items():
        try:
            field = item._meta.get_field(name)
        except FieldDoesNotExist as exc:
            raise ValueError(f"{item._meta.label} has no field {name!r}") from exc
        if name in PROTECTED_FIELDS or not getattr(field, "concrete", False):
            raise ValueError(f"{name!r} cannot be changed through `changes`")
        before[field.attname] = getattr(item, field.attname)
        setattr(item, name, value)
    return before


def _snapshot(item: WorkflowItem, attnames: Any = ()) -> dict[str, Any]:
    data = {
        "status": item.status,
        "business_status": item.business_status,
        "version": item.version,
        "due_at": item.due_at,
    }
    for attname in attnames:
        data[attname] = getattr(item, attname)
    return data


def _keep_related(locked: WorkflowItem, item: WorkflowItem) -> None:
    """Give the freshly locked row the related objects the caller had loaded (patient, exam …)
    where it still points at the same rows, so that the step's receivers and the caller do not
    read them again."""
    cached = item._state.fields_cache
    for field in locked._meta.concrete_fields:
        if (
            field.is_relation
            and field.name in cached
            and getattr(locked, field.attname) == getattr(item, field.attname)
        ):
            locked._state.fields_cache.setdefault(field.name, cached[field.name])


def _copy_into(target: WorkflowItem, source: WorkflowItem) -> None:
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    # Cached related objects may describe the old values; drop them.
    target._state.fields_cache = dict(source._state.fields_cache)


def transition(
    item: I,
    target_or_name: str,
    *,
    actor: Any,
    acting_for: Any = None,
    reason: str = "",
    note: str = "",
    business_status: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
    changes: Mapping[str, Any] | None = None,
    as_system: bool = False,
) -> I:
    """Move ``item`` along one transition of its workflow, by name ("accept") or by target status
    ("accepted"), and return it updated (the object passed in is updated too).

    In one transaction: lock the row, check the version (``expected_version``) and that nobody
    moved the item meanwhile (``Conflict``), that the move is allowed from the current status
    (``ActionError``), that ``actor`` acts for the side that makes it and holds its permission
    there (``NotAllowed``; ``acting_for`` picks the institution when the actor is on both sides),
    and that a required reason is given (``ValidationError`` on ``reason``). Then set status,
    business status, version, due time, apply ``changes`` (other fields of the item), write the
    history row and the audit row, and send ``workflow_transitioned`` after commit.

    ``actor=None`` or ``as_system=True`` acts as the platform: only ``Side.SYSTEM`` transitions.
    """
    model = type(item)
    workflow = model.workflow
    now = now or timezone.now()
    reason = (reason or "").strip()
    key = str(target_or_name)
    with transaction.atomic():
        locked = model._base_manager.select_for_update().filter(pk=item.pk).first()
        if locked is None:
            raise Conflict(_("This %(noun)s no longer exists.") % {"noun": _noun(item)})
        _keep_related(locked, item)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                _(
                    "Someone else changed this %(noun)s meanwhile (version %(now)s, you had "
                    "%(had)s). Reload it and try again."
                )
                % {"noun": _noun(item), "now": locked.version, "had": expected_version}
            )
        if locked.status != item.status:
            raise Conflict(
                _("Someone else changed this %(noun)s meanwhile: it is now %(status)s.")
                % {"noun": _noun(item), "status": Status(locked.status).label}
            )
        chosen, target, side, institution_id = _choose(locked, key, actor, acting_for, as_system)
        if chosen.reason_required and not reason:
            raise ValidationError({"reason": [_("Give a reason for this step.")]})
        moves = target != locked.status
        if business_status is None:
            business_status = chosen.business_status or ("" if moves else locked.business_status)
        _check_business_status(workflow, target, business_status)
        if chosen.guard is not None:
            chosen.guard(locked, actor)

        from_status = locked.status
        before = _snapshot(locked)
        old_values = _apply_changes(locked, changes or {})
        before.update(old_values)
        locked.status = target
        locked.business_status = business_status
        locked.version += 1
        if moves:
            locked.status_changed_at = now
            locked.escalation_level = 0
            locked.due_at = workflow.due_at(locked, target, now)
        update_fields = [
            "status",
            "business_status",
            "version",
            "status_changed_at",
            "escalation_level",
            "due_at",
            "updated_at",
            *[locked._meta.get_field(name).name for name in (changes or {})],
        ]
        locked.save(update_fields=update_fields)
        record = locked.history_model().objects.create(
            item=locked,
            from_status=from_status,
            to_status=target,
            business_status=business_status,
            name=chosen.name,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            acting_institution_id=institution_id,
            side=side,
            reason=reason,
            note=note,
            at=now,
            version=locked.version,
        )
        after = _snapshot(locked, old_values)
        if reason:
            after["reason"] = reason
        audit.record(
            f"{locked._meta.label_lower}.{chosen.name}",
            actor=actor,
            target=locked,
            institution=institution_id,
            before=before,
            after=after,
        )
        _notify_on_commit(locked, record, actor, chosen)
    _copy_into(item, locked)
    return item


def _notify_on_commit(
    item: WorkflowItem, record: TransitionRecord, actor: Any, chosen: Transition | None
) -> None:
    # robust: a failing notification must not turn a committed change into an error.
    notify.on_commit(
        lambda: workflow_transitioned.send(
            sender=type(item), item=item, record=record, actor=actor, transition=chosen
        ),
        robust=True,
    )


def create_item(
    model: type[I],
    *,
    actor: Any,
    status: str | None = None,
    acting_for: Any = None,
    note: str = "",
    business_status: str = "",
    now: datetime | None = None,
    as_system: bool = False,
    **fields: Any,
) -> I:
    """Create a workflow item in one of its workflow's initial statuses (default: requested if
    allowed, else the first initial status), with its first history row and audit row.

    A person creates it for the workflow's ``create_side`` (requester by default) and needs that
    side's permission there; ``actor=None`` or ``as_system=True`` creates it as the platform
    (an interface listener). ``fields`` are the item's own fields (institutions, patient, ...).
    """
    workflow = model.workflow
    now = now or timezone.now()
    if status is None:
        status = Status.REQUESTED if Status.REQUESTED in workflow.initial else min(workflow.initial)
    status = Status(status)
    if status not in workflow.initial:
        raise ActionError(
            _("A new %(noun)s cannot start as %(status)s.")
            % {"noun": model._meta.verbose_name, "status": status.label}
        )
    bad = set(fields) & PROTECTED_FIELDS
    if bad:
        raise ValueError(f"{sorted(bad)} are set by the workflow, not by the caller")
    item = model(status=status, version=1, business_status=business_status, **fields)
    missing = {
        name: [_("This field is required.")]
        for name in ("requester_institution", "performer_institution")
        if getattr(item, f"{name}_id") is None
    }
    if missing:
        raise ValidationError(missing)
    _check_business_status(workflow, status, business_status)

    side = Side.SYSTEM
    institution_id = _pk(acting_for)
    if actor is not None and not as_system:
        side = workflow.create_side
        institution_id = _party(item, side)
        perm = workflow.create_perm or DEFAULT_PERMS.get(side)
        allowed = (
            side != Side.SYSTEM
            and (acting_for is None or _pk(acting_for) == institution_id)
            and perm is not None
            and access_for(actor).has_perm(perm, institution_id)
        )
        if not allowed:
            raise NotAllowed(
                _("You may not create a %(noun)s for this institution.")
                % {"noun": model._meta.verbose_name}
            )
        if side == Side.REQUESTER and item.requester_id is None:
            item.requester = actor

    with transaction.atomic():
        item.status_changed_at = now
        item.due_at = workflow.due_at(item, status, now)
        item.save()
        record = item.history_model().objects.create(
            item=item,
            from_status="",
            to_status=status,
            business_status=business_status,
            name="create",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            acting_institution_id=institution_id,
            side=side,
            note=note,
            at=now,
            version=item.version,
        )
        audit.record(
            f"{item._meta.label_lower}.create",
            actor=actor,
            target=item,
            institution=institution_id,
            after={
                **_snapshot(item),
                "requester_institution_id": item.requester_institution_id,
                "performer_institution_id": item.performer_institution_id,
            },
        )
        _notify_on_commit(item, record, actor, None)
    return item
