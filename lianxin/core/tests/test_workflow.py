"""The shared workflow (DESIGN §4): transitions, sides, reasons, due times, escalation, history,
audit, notifications after commit, optimistic concurrency and loop-closure figures."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.test.utils import isolate_apps

from lianxin.core.errors import ActionError, Conflict, NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.core.tests.workflowapp.models import Alert, AlertTransition, Errand, ErrandTransition
from lianxin.core.workflow import (
    CLOSED_STATUSES,
    DEFAULT_WORKFLOW,
    OPEN_STATUSES,
    PREVIOUS,
    Side,
    Status,
    Transition,
    Workflow,
    WorkflowItem,
    allowed_transitions,
    create_item,
    durations_in_state,
    escalate_overdue,
    loop_closure_rate,
    time_in_states,
    transition,
    workflow_escalated,
    workflow_models,
    workflow_transitioned,
)
from lianxin.core.workflow.checks import check_workflow_models, problems_of

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)

# How to reach each status from draft (the actor follows from each transition's side).
PATH = {
    Status.DRAFT: [],
    Status.REQUESTED: ["submit"],
    Status.RECEIVED: ["submit", "receive"],
    Status.ACCEPTED: ["submit", "receive", "accept"],
    Status.IN_PROGRESS: ["submit", "receive", "accept", "start"],
    Status.ON_HOLD: ["submit", "receive", "accept", "hold"],
    Status.COMPLETED: ["submit", "receive", "accept", "start", "complete"],
    Status.REJECTED: ["submit", "receive", "reject"],
    Status.FAILED: ["submit", "receive", "accept", "start", "fail"],
    Status.CANCELLED: ["submit", "cancel"],
    Status.ENTERED_IN_ERROR: ["enter_in_error"],
}


def actor_for(personas, item, name: str):
    """The doctor (requester side) or the specialist (performer side) who may make ``name``."""
    sides = {t.side for t in item.workflow.from_status(item.status) if t.name == name}
    return personas.doctor if sides == {Side.REQUESTER} else personas.specialist


def make_errand(personas, status: Status = Status.DRAFT, **fields) -> Errand:
    errand = create_item(
        Errand,
        actor=personas.doctor,
        status=Status.DRAFT,
        requester_institution=personas.township_a,
        performer_institution=personas.county_a,
        **fields,
    )
    for name in PATH[status]:
        transition(errand, name, actor=actor_for(personas, errand, name), reason="needed")
    assert errand.status == status
    return errand


def counts(errand: Errand) -> tuple:
    errand_now = Errand.objects.get(pk=errand.pk)
    return (
        errand_now.status,
        errand_now.version,
        ErrandTransition.objects.filter(item=errand).count(),
        AuditEvent.objects.count(),
    )


# --- statuses and definitions ------------------------------------------------------------------


def test_status_values_are_spelled_as_fhir_task_status():
    assert [s.value for s in Status] == [
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "in-progress",
        "on-hold",
        "completed",
        "failed",
        "cancelled",
        "entered-in-error",
    ]


def test_open_and_closed_statuses_split_every_status_once():
    assert OPEN_STATUSES.isdisjoint(CLOSED_STATUSES)
    assert set(Status) == OPEN_STATUSES | CLOSED_STATUSES
    assert Status.COMPLETED in CLOSED_STATUSES and Status.ON_HOLD in OPEN_STATUSES


def test_the_default_graph_is_the_one_in_the_design():
    edges = {(source, t.target) for t in DEFAULT_WORKFLOW.transitions for source in t.sources}
    for pair in [
        (Status.DRAFT, Status.REQUESTED),
        (Status.REQUESTED, Status.RECEIVED),
        (Status.RECEIVED, Status.ACCEPTED),
        (Status.RECEIVED, Status.REJECTED),
        (Status.ACCEPTED, Status.IN_PROGRESS),
        (Status.ACCEPTED, Status.ON_HOLD),
        (Status.IN_PROGRESS, Status.ON_HOLD),
        (Status.ON_HOLD, PREVIOUS),
        (Status.IN_PROGRESS, Status.COMPLETED),
        (Status.IN_PROGRESS, Status.FAILED),
    ]:
        assert pair in edges
    for status in OPEN_STATUSES:
        assert (status, Status.CANCELLED) in edges
    for status in set(Status) - {Status.ENTERED_IN_ERROR}:
        assert (status, Status.ENTERED_IN_ERROR) in edges
    for closed in CLOSED_STATUSES:
        assert {target for source, target in edges if source == closed} <= {Status.ENTERED_IN_ERROR}


def test_a_workflow_can_be_narrowed_to_named_transitions():
    narrow = DEFAULT_WORKFLOW.derive(keep={"submit", "receive", "complete"}, initial=["draft"])
    assert narrow.names == {"submit", "receive", "complete"}
    assert narrow.initial == {Status.DRAFT}
    without_hold = DEFAULT_WORKFLOW.derive(drop={"hold", "resume"})
    assert {t.name for t in without_hold.from_status(Status.ON_HOLD)} == {
        "cancel",
        "enter_in_error",
    }
    assert "hold" not in {t.name for t in without_hold.from_status(Status.IN_PROGRESS)}


@pytest.mark.parametrize(
    "build",
    [
        lambda: Workflow(
            [Transition(name="accepted", source="received", target="accepted", side=Side.PERFORMER)]
        ),
        lambda: Workflow(
            [Transition(name="back", source="accepted", target=PREVIOUS, side=Side.PERFORMER)]
        ),
        lambda: Workflow(due={Status.COMPLETED: timedelta(hours=1)}),
        lambda: Workflow(initial=[Status.COMPLETED]),
        lambda: Workflow([*DEFAULT_WORKFLOW.transitions, DEFAULT_WORKFLOW.transitions[0]]),
    ],
    ids=["name-is-a-status", "previous-not-from-hold", "due-on-closed", "closed-initial", "twice"],
)
def test_it_refuses_a_workflow_definition_that_cannot_work(build):
    with pytest.raises(ImproperlyConfigured):
        build()


def test_it_finds_every_concrete_workflow_model_and_its_history():
    assert {Errand, Alert} <= set(workflow_models())
    assert Errand.history_model() is ErrandTransition
    assert Alert.history_model() is AlertTransition
    assert check_workflow_models() == []


@isolate_apps("lianxin.core.tests.workflowapp")
def test_the_system_check_names_a_workflow_model_without_history():
    class Stray(WorkflowItem):
        class Meta:
            app_label = "workflowapp"

    assert [problem.id for problem in problems_of(Stray)] == ["workflow.E002"]


# --- allowed transitions -----------------------------------------------------------------------

ALLOWED = [
    (t.name, source)
    for t in Errand.workflow.transitions
    if not t.is_system
    for source in sorted(t.sources)
]


@pytest.mark.parametrize(("name", "source"), ALLOWED, ids=[f"{n}-from-{s}" for n, s in ALLOWED])
def test_each_allowed_transition_moves_the_item_and_writes_history_and_audit(
    personas, name, source
):
    errand = make_errand(personas, source, title="fetch the films")
    actor = actor_for(personas, errand, name)
    version, history, audits = errand.version, errand.history.count(), AuditEvent.objects.count()

    transition(errand, name, actor=actor, reason="needed")

    declared = next(t for t in Errand.workflow.from_status(source) if t.name == name)
    expected = Status.ACCEPTED if declared.target == PREVIOUS else declared.target
    stored = Errand.objects.get(pk=errand.pk)
    assert stored.status == errand.status == expected
    assert stored.version == version + 1
    assert errand.history.count() == history + 1
    row = errand.history.last()
    assert (row.from_status, row.to_status, row.name) == (source, expected, name)
    assert row.actor == actor and row.version == stored.version
    assert row.acting_institution == (
        personas.township_a if actor == personas.doctor else personas.county_a
    )
    assert AuditEvent.objects.count() == audits + 1
    event = AuditEvent.objects.last()
    assert event.action == f"workflowapp.errand.{name}"
    assert event.before["status"] == source and event.after["status"] == expected
    assert event.target_id == str(errand.external_id)


def test_a_transition_can_be_named_by_its_target_status(personas):
    errand = make_errand(personas, Status.RECEIVED)
    transition(errand, Status.ACCEPTED, actor=personas.specialist)
    assert errand.status == Status.ACCEPTED
    assert errand.history.last().name == "accept"


def test_resume_returns_an_item_to_the_status_it_was_held_from(personas):
    errand = make_errand(personas, Status.IN_PROGRESS)
    transition(errand, "hold", actor=personas.specialist)
    transition(errand, "resume", actor=personas.specialist)
    assert errand.status == Status.IN_PROGRESS
    transition(errand, "hold", actor=personas.specialist)
    transition(errand, Status.IN_PROGRESS, actor=personas.specialist)
    assert errand.status == Status.IN_PROGRESS


def test_resume_cannot_jump_to_a_status_the_item_was_not_held_from(personas):
    errand = make_errand(personas, Status.ON_HOLD)  # held from accepted
    with pytest.raises(ActionError, match="from On hold to In progress"):
        transition(errand, Status.IN_PROGRESS, actor=personas.specialist)


DISALLOWED = [
    (Status.DRAFT, Status.RECEIVED),
    (Status.REQUESTED, Status.ACCEPTED),
    (Status.RECEIVED, Status.COMPLETED),
    (Status.ACCEPTED, Status.COMPLETED),
    (Status.REQUESTED, Status.REJECTED),
    (Status.COMPLETED, Status.IN_PROGRESS),
    (Status.CANCELLED, Status.REQUESTED),
    (Status.REJECTED, Status.ACCEPTED),
    (Status.ENTERED_IN_ERROR, Status.CANCELLED),
    (Status.COMPLETED, Status.CANCELLED),
]


@pytest.mark.parametrize(
    ("source", "target"), DISALLOWED, ids=[f"{s}-to-{t}" for s, t in DISALLOWED]
)
def test_a_disallowed_transition_names_both_states_and_changes_nothing(personas, source, target):
    errand = make_errand(personas, source)
    before = counts(errand)
    with pytest.raises(ActionError) as caught:
        transition(errand, target, actor=personas.specialist, reason="why not")
    assert not isinstance(caught.value, NotAllowed | Conflict)
    labels = (Status(source).label, Status(target).label)
    assert "from {} to {}".format(*labels) in str(caught.value)
    assert counts(errand) == before
    assert errand.status == source


def test_a_disallowed_transition_by_name_says_where_it_is_allowed_from(personas):
    errand = make_errand(personas, Status.COMPLETED)
    before = counts(errand)
    with pytest.raises(ActionError, match="Cannot accept this errand: it is Completed") as caught:
        transition(errand, "accept", actor=personas.specialist)
    assert "only from Received" in str(caught.value)
    assert counts(errand) == before


def test_an_unknown_transition_name_is_refused(personas):
    errand = make_errand(personas, Status.REQUESTED)
    with pytest.raises(ActionError, match="no step named teleport"):
        transition(errand, "teleport", actor=personas.specialist)


# --- sides and permissions ---------------------------------------------------------------------


def test_it_rejects_acceptance_by_the_requesting_side(personas):
    errand = make_errand(personas, Status.RECEIVED)
    before = counts(errand)
    with pytest.raises(NotAllowed):
        transition(errand, "accept", actor=personas.doctor)
    assert counts(errand) == before


def test_it_rejects_acceptance_by_a_third_institution(personas):
    errand = make_errand(personas, Status.RECEIVED)
    before = counts(errand)
    with pytest.raises(NotAllowed):
        transition(errand, "accept", actor=personas.outsider)
    assert counts(errand) == before


def test_it_rejects_a_requester_side_transition_by_the_performing_side(personas):
    errand = make_errand(personas, Status.DRAFT)
    with pytest.raises(NotAllowed):
        transition(errand, "submit", actor=personas.specialist)
    requested = make_errand(personas, Status.REQUESTED)
    with pytest.raises(NotAllowed):
        transition(requested, "cancel", actor=personas.specialist, reason="not ours")


def test_it_rejects_a_member_of_the_requester_without_the_permission(personas):
    errand = make_errand(personas, Status.DRAFT)
    with pytest.raises(NotAllowed):
        transition(errand, "submit", actor=personas.admin)  # administrators do not refer
    transition(errand, "submit", actor=personas.colleague)
    assert errand.status == Status.REQUESTED


def test_either_side_may_cancel_once_the_performer_has_the_item(personas):
    by_requester = make_errand(personas, Status.ACCEPTED)
    transition(by_requester, "cancel", actor=personas.doctor, reason="patient recovered")
    by_performer = make_errand(personas, Status.ACCEPTED)
    transition(by_performer, "cancel", actor=personas.specialist, reason="no bed")
    assert by_requester.history.last().side == Side.REQUESTER
    assert by_performer.history.last().side == Side.PERFORMER
    outsider_try = make_errand(personas, Status.ACCEPTED)
    with pytest.raises(NotAllowed):
        transition(outsider_try, "cancel", actor=personas.outsider, reason="meddling")


def test_acting_for_must_be_a_party_the_actor_acts_for(personas):
    errand = make_errand(personas, Status.RECEIVED)
    with pytest.raises(NotAllowed):
        transition(errand, "accept", actor=personas.specialist, acting_for=personas.county_b)
    transition(errand, "accept", actor=personas.specialist, acting_for=personas.county_a)
    assert errand.status == Status.ACCEPTED


def test_a_system_transition_is_made_only_by_the_platform(personas):
    errand = make_errand(personas, Status.REQUESTED)
    with pytest.raises(NotAllowed, match="platform"):
        transition(errand, "auto_receive", actor=personas.specialist)
    transition(errand, "auto_receive", actor=None)
    row = errand.history.last()
    assert errand.status == Status.RECEIVED
    assert (row.side, row.actor, row.name) == (Side.SYSTEM, None, "auto_receive")
    assert AuditEvent.objects.last().actor_label == "system"


def test_a_service_account_may_make_a_system_transition_when_it_says_so(personas):
    errand = make_errand(personas, Status.REQUESTED)
    transition(errand, Status.RECEIVED, actor=personas.specialist, as_system=True)
    row = errand.history.last()
    assert (row.side, row.actor, row.name) == (Side.SYSTEM, personas.specialist, "auto_receive")


def test_the_platform_cannot_make_a_persons_transition(personas):
    errand = make_errand(personas, Status.RECEIVED)
    with pytest.raises(NotAllowed):
        transition(errand, "accept", actor=None)


def test_allowed_transitions_lists_what_the_actor_may_do_now(personas):
    errand = make_errand(personas, Status.RECEIVED)
    assert {t.name for t in allowed_transitions(errand, personas.specialist)} == {
        "accept",
        "reject",
        "cancel",
        "enter_in_error",
    }
    assert {t.name for t in allowed_transitions(errand, personas.doctor)} == {
        "cancel",
        "enter_in_error",
    }
    assert allowed_transitions(errand, personas.outsider) == []


# --- reasons, business statuses, guards and changes --------------------------------------------


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (Status.RECEIVED, "reject"),
        (Status.REQUESTED, "cancel"),
        (Status.ACCEPTED, "cancel"),
        (Status.IN_PROGRESS, "fail"),
        (Status.COMPLETED, "enter_in_error"),
    ],
)
def test_it_requires_a_reason_where_the_workflow_says_so(personas, status, name):
    errand = make_errand(personas, status)
    actor = actor_for(personas, errand, name)
    before = counts(errand)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as caught:
            transition(errand, name, actor=actor, reason=reason)
        assert "reason" in caught.value.error_dict
    assert counts(errand) == before
    transition(errand, name, actor=actor, reason="  wrong patient ")
    assert errand.history.last().reason == "wrong patient"
    assert AuditEvent.objects.last().after["reason"] == "wrong patient"


def test_a_business_status_is_kept_within_the_declared_steps(personas):
    errand = make_errand(personas, Status.RECEIVED)
    with pytest.raises(ValidationError) as caught:
        transition(errand, "accept", actor=personas.specialist, business_status="teleported")
    assert "business_status" in caught.value.error_dict
    transition(errand, "accept", actor=personas.specialist, business_status="booked")
    assert errand.business_status == "booked"


def test_a_step_within_a_status_changes_the_label_but_not_the_clock(personas, time_machine):
    time_machine.move_to(START, tick=False)
    errand = make_errand(personas, Status.ACCEPTED)
    changed_at, due_at, version = errand.status_changed_at, errand.due_at, errand.version
    time_machine.shift(timedelta(hours=3))
    transition(errand, "mark_arrived", actor=personas.specialist)
    assert (errand.status, errand.business_status) == (Status.ACCEPTED, "arrived")
    assert (errand.status_changed_at, errand.due_at) == (changed_at, due_at)
    assert errand.version == version + 1
    transition(errand, "start", actor=personas.specialist)
    assert errand.business_status == ""


def test_a_guard_refuses_and_nothing_is_written(personas):
    errand = make_errand(personas, Status.IN_PROGRESS)
    before = counts(errand)
    with pytest.raises(ValidationError) as caught:
        transition(errand, "close_out", actor=personas.specialist)
    assert "title" in caught.value.error_dict
    assert counts(errand) == before


def test_changes_set_other_fields_in_the_same_step(personas):
    errand = make_errand(personas, Status.RECEIVED)
    transition(
        errand,
        "accept",
        actor=personas.specialist,
        changes={"owner": personas.specialist, "title": "CT head"},
    )
    stored = Errand.objects.get(pk=errand.pk)
    assert (stored.owner, stored.title) == (personas.specialist, "CT head")
    event = AuditEvent.objects.last()
    assert event.before["owner_id"] is None
    assert event.after["owner_id"] == personas.specialist.pk


@pytest.mark.parametrize("field", ["status", "version", "due_at", "escalation_level", "nonsense"])
def test_changes_cannot_touch_the_workflow_bookkeeping(personas, field):
    errand = make_errand(personas, Status.RECEIVED)
    before = counts(errand)
    with pytest.raises(ValueError, match=field):
        transition(errand, "accept", actor=personas.specialist, changes={field: None})
    assert counts(errand) == before


# --- creation ----------------------------------------------------------------------------------


def test_creation_writes_the_first_history_row_and_audit_row(personas, time_machine):
    time_machine.move_to(START, tick=False)
    errand = create_item(
        Errand,
        actor=personas.doctor,
        requester_institution=personas.township_a,
        performer_institution=personas.county_a,
        title="read this ECG",
        note="by phone first",
    )
    assert errand.status == Status.REQUESTED and errand.version == 1
    assert errand.requester == personas.doctor
    assert errand.due_at == START + timedelta(hours=24)
    row = errand.history.get()
    assert (row.name, row.from_status, row.to_status, row.side) == (
        "create",
        "",
        Status.REQUESTED,
        Side.REQUESTER,
    )
    assert row.note == "by phone first" and row.acting_institution == personas.township_a
    event = AuditEvent.objects.get(action="workflowapp.errand.create")
    assert event.after["status"] == "requested"


def test_creation_is_refused_outside_the_requesting_institution(personas):
    for actor in (personas.specialist, personas.outsider):
        with pytest.raises(NotAllowed):
            create_item(
                Errand,
                actor=actor,
                requester_institution=personas.township_a,
                performer_institution=personas.county_a,
            )
    assert Errand.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_creation_is_refused_in_a_status_that_is_not_initial(personas):
    with pytest.raises(ActionError, match="cannot start as Accepted"):
        create_item(
            Errand,
            actor=personas.doctor,
            status=Status.ACCEPTED,
            requester_institution=personas.township_a,
            performer_institution=personas.county_a,
        )


def test_creation_needs_both_parties(personas):
    with pytest.raises(ValidationError) as caught:
        create_item(Errand, actor=personas.doctor, requester_institution=personas.township_a)
    assert "performer_institution" in caught.value.error_dict


def test_a_narrow_workflow_is_created_by_the_performer_and_closed_by_the_requester(personas):
    with pytest.raises(NotAllowed):
        create_item(
            Alert,
            actor=personas.doctor,
            requester_institution=personas.township_a,
            performer_institution=personas.county_a,
        )
    alert = create_item(
        Alert,
        actor=personas.specialist,
        requester_institution=personas.township_a,
        performer_institution=personas.county_a,
        message="K+ 6.9 mmol/L",
    )
    assert alert.status == Status.REQUESTED
    assert alert.history.get().side == Side.PERFORMER
    with pytest.raises(ActionError, match="from Requested to Accepted"):
        transition(alert, Status.ACCEPTED, actor=personas.doctor)
    with pytest.raises(NotAllowed):
        transition(alert, "receive", actor=personas.specialist)
    transition(alert, "receive", actor=personas.doctor)
    transition(alert, "acknowledge", actor=personas.doctor)
    assert alert.status == Status.COMPLETED
    assert [r.name for r in alert.history] == ["create", "receive", "acknowledge"]


def test_the_platform_may_create_an_item(personas):
    alert = create_item(
        Alert,
        actor=None,
        requester_institution=personas.township_a,
        performer_institution=personas.county_a,
    )
    assert alert.history.get().side == Side.SYSTEM


# --- due times, overdue, escalation ------------------------------------------------------------


def test_due_times_follow_the_state_and_are_cleared_when_closed(personas, time_machine):
    time_machine.move_to(START, tick=False)
    errand = make_errand(personas, Status.REQUESTED)
    assert errand.due_at == START + timedelta(hours=24)
    time_machine.shift(timedelta(hours=1))
    transition(errand, "receive", actor=personas.specialist)
    assert errand.status_changed_at == START + timedelta(hours=1)
    assert errand.due_at == START + timedelta(hours=9)
    transition(errand, "accept", actor=personas.specialist)
    assert errand.due_at == START + timedelta(hours=49)
    transition(errand, "hold", actor=personas.specialist)
    assert errand.due_at is None  # no due time declared for on-hold
    transition(errand, "resume", actor=personas.specialist)
    transition(errand, "start", actor=personas.specialist)
    assert errand.due_at == START + timedelta(hours=73)
    transition(errand, "complete", actor=personas.specialist)
    assert errand.due_at is None
    assert Errand.objects.get(pk=errand.pk).due_at is None


def test_a_due_time_can_depend_on_the_item(personas, time_machine):
    time_machine.move_to(START, tick=False)
    errand = make_errand(personas, Status.REQUESTED, urgent=True)
    assert errand.due_at == START + timedelta(hours=2)


def test_the_overdue_queryset_holds_open_items_past_their_due_time(personas, time_machine):
    time_machine.move_to(START, tick=False)
    late = make_errand(personas, Status.REQUESTED)
    urgent = make_errand(personas, Status.REQUESTED, urgent=True)
    make_errand(personas, Status.COMPLETED)
    make_errand(personas, Status.DRAFT)
    assert not Errand.objects.overdue().exists()
    assert list(Errand.objects.overdue(now=START + timedelta(hours=3))) == [urgent]
    time_machine.shift(timedelta(hours=25))
    assert set(Errand.objects.overdue()) == {late, urgent}
    assert late.is_overdue() and not late.is_overdue(START)
    assert set(Errand.objects.open()) | set(Errand.objects.closed()) == set(Errand.objects.all())


def test_escalation_climbs_once_per_period_and_fires_the_signal(
    personas, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START, tick=False)
    errand = make_errand(personas, Status.REQUESTED)
    heard = []

    def receiver(sender, item, record, level, **kwargs):
        heard.append((sender, item.pk, record.name, level))

    workflow_escalated.connect(receiver)
    try:
        time_machine.shift(timedelta(hours=23))
        assert escalate_overdue() == 0
        time_machine.shift(timedelta(hours=2))  # one hour late
        with django_capture_on_commit_callbacks(execute=True):
            assert escalate_overdue() == 1
            assert escalate_overdue() == 0  # the same moment again: nothing new
        errand.refresh_from_db()
        assert errand.escalation_level == 1
        assert errand.due_at == START + timedelta(hours=29)  # escalates every 4 hours
        assert heard == [(Errand, errand.pk, "escalate", 1)]
        time_machine.shift(timedelta(hours=3))
        assert escalate_overdue() == 0
        time_machine.shift(timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            assert escalate_overdue() == 1
        assert heard[-1][-1] == 2
    finally:
        workflow_escalated.disconnect(receiver)
    errand.refresh_from_db()
    assert errand.escalation_level == 2
    assert errand.version == 2  # create + submit; escalation is not an edit
    rows = list(errand.history.filter(name="escalate"))
    assert [(r.escalation_level, r.side, r.actor) for r in rows] == [
        (1, Side.SYSTEM, None),
        (2, Side.SYSTEM, None),
    ]
    assert AuditEvent.objects.filter(action="workflowapp.errand.escalate").count() == 2


def test_a_transition_resets_the_escalation_level(personas, time_machine):
    time_machine.move_to(START, tick=False)
    errand = make_errand(personas, Status.REQUESTED)
    time_machine.shift(timedelta(hours=30))
    escalate_overdue()
    errand.refresh_from_db()
    transition(errand, "receive", actor=personas.specialist, expected_version=errand.version)
    assert errand.escalation_level == 0
    assert errand.due_at == START + timedelta(hours=38)


def test_escalation_covers_every_workflow_model_and_stops_at_the_declared_maximum(
    personas, time_machine
):
    time_machine.move_to(START, tick=False)
    errand = make_errand(personas, Status.REQUESTED)
    alert = create_item(
        Alert,
        actor=personas.specialist,
        requester_institution=personas.township_a,
        performer_institution=personas.county_a,
    )
    closed = make_errand(personas, Status.CANCELLED)
    time_machine.shift(timedelta(days=2))
    assert escalate_overdue() == 2
    for _ in range(3):
        time_machine.shift(timedelta(days=1))
        escalate_overdue()
    alert.refresh_from_db()
    errand.refresh_from_db()
    assert alert.escalation_level == 2  # Alert stops at level 2
    assert errand.escalation_level == 4
    assert closed.history.filter(name="escalate").count() == 0


def test_the_escalate_command_and_task_run_one_pass(personas, time_machine, capsys):
    from lianxin.core.tasks import escalate_overdue_items

    time_machine.move_to(START, tick=False)
    first = make_errand(personas, Status.REQUESTED)
    second = make_errand(personas, Status.REQUESTED)
    time_machine.shift(timedelta(days=2))
    call_command("escalate")
    assert "escalated 2 overdue item(s)" in capsys.readouterr().out
    time_machine.shift(timedelta(days=1))
    result = escalate_overdue_items.enqueue()
    assert result.return_value == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.escalation_level == second.escalation_level == 2


# --- one transaction, notifications after commit -----------------------------------------------


def test_history_and_audit_roll_back_with_a_failed_transition(personas, monkeypatch):
    errand = make_errand(personas, Status.RECEIVED)
    before = counts(errand)

    def broken(*args, **kwargs):
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr("lianxin.core.workflow.engine.audit.record", broken)
    with pytest.raises(RuntimeError):
        transition(errand, "accept", actor=personas.specialist)
    assert counts(errand) == before
    assert errand.status == Status.RECEIVED


def test_the_notification_hook_fires_only_after_commit(
    personas, django_capture_on_commit_callbacks
):
    errand = make_errand(personas, Status.RECEIVED)
    heard = []

    def receiver(sender, item, record, actor, transition, **kwargs):
        heard.append((sender, item.status, record.name, actor, transition.name))

    workflow_transitioned.connect(receiver)
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            transition(errand, "accept", actor=personas.specialist)
        assert heard == []  # still inside the (test's) transaction
        assert len(callbacks) == 1
        callbacks[0]()
        assert heard == [(Errand, Status.ACCEPTED, "accept", personas.specialist, "accept")]
    finally:
        workflow_transitioned.disconnect(receiver)


def test_no_notification_is_queued_when_the_transition_fails(
    personas, django_capture_on_commit_callbacks
):
    errand = make_errand(personas, Status.RECEIVED)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotAllowed):
        transition(errand, "accept", actor=personas.outsider)
    assert callbacks == []


def test_creation_notifies_after_commit_too(personas, django_capture_on_commit_callbacks):
    heard = []

    def receiver(sender, item, record, transition, **kwargs):
        heard.append((record.name, transition))

    workflow_transitioned.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            make_errand(personas, Status.DRAFT)
    finally:
        workflow_transitioned.disconnect(receiver)
    assert heard == [("create", None)]


# --- optimistic concurrency --------------------------------------------------------------------


def test_a_stale_expected_version_is_a_conflict(personas):
    errand = make_errand(personas, Status.RECEIVED)
    before = counts(errand)
    with pytest.raises(Conflict, match="version"):
        transition(errand, "accept", actor=personas.specialist, expected_version=errand.version - 1)
    assert counts(errand) == before
    transition(errand, "accept", actor=personas.specialist, expected_version=errand.version)
    assert errand.status == Status.ACCEPTED


def test_an_item_moved_by_someone_else_meanwhile_is_a_conflict_not_a_wrong_state(personas):
    errand = make_errand(personas, Status.RECEIVED)
    seen_by_other = Errand.objects.get(pk=errand.pk)
    transition(errand, "accept", actor=personas.specialist)
    with pytest.raises(Conflict, match="it is now Accepted"):
        transition(seen_by_other, "reject", actor=personas.specialist, reason="full")
    assert errand.history.filter(name="accept").count() == 1


# --- scope -------------------------------------------------------------------------------------


def test_only_the_parties_see_an_item(personas):
    errand = make_errand(personas, Status.REQUESTED)
    assert list(Errand.objects.visible_to(personas.doctor)) == [errand]
    assert list(Errand.objects.visible_to(personas.specialist)) == [errand]
    assert list(Errand.objects.visible_to(personas.colleague)) == [errand]
    assert not Errand.objects.visible_to(personas.outsider).exists()
    assert not Errand.objects.visible_to(personas.commission).exists()
    assert list(Errand.objects.requested_by([personas.township_a.pk])) == [errand]
    assert not Errand.objects.performed_by([personas.township_a.pk]).exists()


# --- figures -----------------------------------------------------------------------------------


def test_loop_closure_rate_counts_completed_among_sent_items(personas):
    assert loop_closure_rate(Errand.objects.all()) is None
    for status in (
        Status.DRAFT,
        Status.ENTERED_IN_ERROR,
        Status.COMPLETED,
        Status.COMPLETED,
        Status.REJECTED,
        Status.IN_PROGRESS,
    ):
        make_errand(personas, status)
    assert loop_closure_rate(Errand.objects.all()) == pytest.approx(2 / 4)


def test_time_in_state_comes_from_the_history(personas, time_machine):
    time_machine.move_to(START, tick=False)
    errand = make_errand(personas, Status.REQUESTED)
    time_machine.shift(timedelta(hours=5))
    transition(errand, "receive", actor=personas.specialist)
    time_machine.shift(timedelta(hours=1))
    transition(errand, "accept", actor=personas.specialist)
    time_machine.shift(timedelta(hours=2))
    transition(errand, "start", actor=personas.specialist)
    transition(errand, "complete", actor=personas.specialist)
    time_machine.shift(timedelta(days=30))
    spent = time_in_states(errand)
    assert spent[Status.DRAFT] == timedelta(0)
    assert spent[Status.REQUESTED] == timedelta(hours=5)
    assert spent[Status.RECEIVED] == timedelta(hours=1)
    assert spent[Status.ACCEPTED] == timedelta(hours=2)
    assert Status.COMPLETED not in spent  # a closed state does not keep counting

    other = make_errand(personas, Status.REQUESTED)
    time_machine.shift(timedelta(hours=3))
    assert time_in_states(other)[Status.REQUESTED] == timedelta(hours=3)
    assert sorted(durations_in_state(Errand.objects.all(), Status.REQUESTED)) == [
        timedelta(hours=3),
        timedelta(hours=5),
    ]
    assert durations_in_state(Errand.objects.filter(pk=other.pk), Status.ACCEPTED) == []
