"""Declarative workflow definitions: which transitions a model allows, who makes them, and how
long each state may last before the item is overdue."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from lianxin.core.permissions import Perm
from lianxin.core.workflow.states import CLOSED_STATUSES, OPEN_STATUSES, Side, Status

if TYPE_CHECKING:
    from lianxin.core.workflow.models import WorkflowItem

# Target of a transition that returns an item to the status it had before it was put on hold.
PREVIOUS = "previous"

# A due period: a fixed duration, or a function of the item (an urgent referral is due sooner).
DueRule = timedelta | Callable[["WorkflowItem"], timedelta | None]
# A guard sees the locked item and the actor and raises ValidationError/ActionError to refuse.
Guard = Callable[["WorkflowItem", Any], None]

DEFAULT_PERMS = {Side.REQUESTER: Perm.REQUEST_SERVICE, Side.PERFORMER: Perm.PERFORM_SERVICE}
_STATUS_VALUES = frozenset(s.value for s in Status)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Transition:
    """One allowed move: from any of ``source`` to ``target``, made by ``side`` holding ``perm``.

    ``perm`` defaults to ``REQUEST_SERVICE`` on the requester side and ``PERFORM_SERVICE`` on the
    performer side (for ``EITHER``, the default of whichever side the actor acts for).
    ``business_status`` is the local label the item takes unless the caller gives one.
    """

    name: str
    source: str | Iterable[str]
    target: str
    side: Side
    perm: Perm | None = None
    reason_required: bool = False
    business_status: str = ""
    guard: Guard | None = None
    label: str = ""

    def __post_init__(self) -> None:
        sources = (self.source,) if isinstance(self.source, str) else tuple(self.source)
        object.__setattr__(self, "source", frozenset(Status(s) for s in sources))
        if self.target != PREVIOUS:
            object.__setattr__(self, "target", Status(self.target))
        object.__setattr__(self, "side", Side(self.side))

    @property
    def sources(self) -> frozenset[Status]:
        return self.source  # type: ignore[return-value]

    @property
    def is_system(self) -> bool:
        return self.side == Side.SYSTEM

    def perm_for(self, side: Side) -> Perm | None:
        """The permission the actor needs at the institution of ``side``."""
        return self.perm or DEFAULT_PERMS.get(side)


def _reasoned(name: str, source: Iterable[str], target: str, side: Side, **kw: Any) -> Transition:
    return Transition(
        name=name, source=source, target=target, side=side, reason_required=True, **kw
    )


# The default graph (DESIGN §4):
#   draft → requested → received → accepted → in-progress → completed
#   received → rejected; accepted / in-progress ⇄ on-hold; in-progress → failed;
#   any open state → cancelled; any state → entered-in-error (with a reason).
DEFAULT_TRANSITIONS: tuple[Transition, ...] = (
    Transition(name="submit", source=Status.DRAFT, target=Status.REQUESTED, side=Side.REQUESTER),
    Transition(
        name="receive", source=Status.REQUESTED, target=Status.RECEIVED, side=Side.PERFORMER
    ),
    Transition(name="accept", source=Status.RECEIVED, target=Status.ACCEPTED, side=Side.PERFORMER),
    _reasoned("reject", [Status.RECEIVED], Status.REJECTED, Side.PERFORMER),
    Transition(
        name="start", source=Status.ACCEPTED, target=Status.IN_PROGRESS, side=Side.PERFORMER
    ),
    Transition(
        name="hold",
        source=[Status.ACCEPTED, Status.IN_PROGRESS],
        target=Status.ON_HOLD,
        side=Side.PERFORMER,
    ),
    Transition(name="resume", source=Status.ON_HOLD, target=PREVIOUS, side=Side.PERFORMER),
    Transition(
        name="complete", source=Status.IN_PROGRESS, target=Status.COMPLETED, side=Side.PERFORMER
    ),
    _reasoned("fail", [Status.IN_PROGRESS], Status.FAILED, Side.PERFORMER),
    # Before the performer has the item, only the requester may withdraw it.
    _reasoned("cancel", [Status.DRAFT, Status.REQUESTED], Status.CANCELLED, Side.REQUESTER),
    _reasoned(
        "cancel",
        [Status.RECEIVED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD],
        Status.CANCELLED,
        Side.EITHER,
    ),
    _reasoned(
        "enter_in_error",
        [s for s in Status if s != Status.ENTERED_IN_ERROR],
        Status.ENTERED_IN_ERROR,
        Side.EITHER,
    ),
)


class Workflow:
    """The state machine of one concrete model.

    ``transitions``: the allowed moves. ``due``: how long an item may stay in an open status
    (closed statuses never have a due time). ``escalate_every``: after an overdue item escalates,
    how long until it escalates again (default: the due period of its status, else one hour).
    ``max_escalation_level``: stop escalating at this level (default: never stop).
    ``business_statuses``: if given for a status, the only local labels allowed in it.
    ``initial``: statuses an item may be created in. ``create_side`` / ``create_perm``: who
    creates items (a critical result is raised by the performing centre, a referral by the
    requester).
    """

    def __init__(
        self,
        transitions: Iterable[Transition] = DEFAULT_TRANSITIONS,
        *,
        due: Mapping[str, DueRule] | None = None,
        escalate_every: timedelta | None = None,
        max_escalation_level: int | None = None,
        business_statuses: Mapping[str, Collection[str]] | None = None,
        initial: Collection[str] = (Status.DRAFT, Status.REQUESTED),
        create_side: Side = Side.REQUESTER,
        create_perm: Perm | None = None,
    ) -> None:
        self.transitions: tuple[Transition, ...] = tuple(transitions)
        self.due: dict[Status, DueRule] = {Status(k): v for k, v in (due or {}).items()}
        self.escalate_every = escalate_every
        self.max_escalation_level = max_escalation_level
        self.business_statuses: dict[Status, frozenset[str]] = {
            Status(k): frozenset(v) for k, v in (business_statuses or {}).items()
        }
        self.initial: frozenset[Status] = frozenset(Status(s) for s in initial)
        self.create_side = Side(create_side)
        self.create_perm = create_perm
        self._check()

    def _check(self) -> None:
        seen: set[tuple[str, Status, Side]] = set()
        for t in self.transitions:
            if t.name in _STATUS_VALUES or t.name in {"create", "escalate"}:
                raise ImproperlyConfigured(f"transition name {t.name!r} is reserved")
            if t.target == PREVIOUS and t.sources != {Status.ON_HOLD}:
                raise ImproperlyConfigured(f"{t.name!r}: only on-hold can go back to {PREVIOUS}")
            for source in t.sources:
                key = (t.name, source, t.side)
                if key in seen:
                    raise ImproperlyConfigured(f"{t.name!r} is declared twice from {source}")
                seen.add(key)
        for status in self.due:
            if status in CLOSED_STATUSES:
                raise ImproperlyConfigured(f"closed status {status} cannot have a due time")
        if not self.initial or not self.initial <= OPEN_STATUSES:
            raise ImproperlyConfigured("items must be created in open statuses")
        if self.create_side == Side.EITHER:
            raise ImproperlyConfigured("create_side must be requester, performer or system")

    def derive(
        self,
        *,
        keep: Collection[str] | None = None,
        drop: Collection[str] = (),
        add: Iterable[Transition] = (),
        **options: Any,
    ) -> Workflow:
        """A narrowed or extended copy: keep only the transitions named in ``keep`` (if given),
        drop those named in ``drop``, append ``add``, and override any constructor option."""
        kept = [
            t
            for t in self.transitions
            if (keep is None or t.name in keep) and t.name not in set(drop)
        ]
        current = {
            "due": self.due,
            "escalate_every": self.escalate_every,
            "max_escalation_level": self.max_escalation_level,
            "business_statuses": self.business_statuses,
            "initial": self.initial,
            "create_side": self.create_side,
            "create_perm": self.create_perm,
        }
        unknown = set(options) - set(current)
        if unknown:
            raise TypeError(f"unknown workflow options: {sorted(unknown)}")
        return Workflow([*kept, *add], **{**current, **options})

    def from_status(self, status: str) -> list[Transition]:
        """Every transition declared from ``status``."""
        return [t for t in self.transitions if status in t.sources]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(t.name for t in self.transitions)

    def statuses(self) -> frozenset[Status]:
        """Every status an item of this workflow can be in."""
        out: set[Status] = set(self.initial)
        for t in self.transitions:
            out |= t.sources
            if t.target != PREVIOUS:
                out.add(t.target)  # type: ignore[arg-type]
        return frozenset(out)

    def due_period(self, item: WorkflowItem, status: str) -> timedelta | None:
        rule = self.due.get(Status(status))
        if rule is None or Status(status) in CLOSED_STATUSES:
            return None
        return rule if isinstance(rule, timedelta) else rule(item)

    def due_at(self, item: WorkflowItem, status: str, now: datetime) -> datetime | None:
        """When an item entering ``status`` at ``now`` becomes overdue (None: never)."""
        period = self.due_period(item, status)
        return None if period is None else now + period

    def escalation_step(self, item: WorkflowItem) -> timedelta:
        return self.escalate_every or self.due_period(item, item.status) or timedelta(hours=1)

    def __repr__(self) -> str:
        return f"<Workflow {sorted(self.names)}>"


DEFAULT_WORKFLOW = Workflow(DEFAULT_TRANSITIONS)
