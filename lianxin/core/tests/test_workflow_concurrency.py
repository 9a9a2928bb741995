"""Two receivers accepting the same item at the same moment: one wins, the other gets a clear
conflict (DESIGN §4). Needs real parallel transactions, so PostgreSQL only."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import Conflict
from lianxin.core.tests.workflowapp.models import Errand
from lianxin.core.workflow import Status, create_item, transition
from lianxin.testing.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 4


def _received_errand(personas) -> Errand:
    errand = create_item(
        Errand,
        actor=personas.doctor,
        requester_institution=personas.township_a,
        performer_institution=personas.county_a,
    )
    transition(errand, "receive", actor=personas.specialist)
    return errand


def _race(errand: Errand, actors: list, *, with_version: bool) -> list[str]:
    barrier = threading.Barrier(len(actors))
    outcomes: list[str] = []

    def attempt(actor) -> None:
        try:
            item = Errand.objects.get(pk=errand.pk)  # both read it as received
            barrier.wait(timeout=10)
            transition(
                item,
                "accept",
                actor=actor,
                expected_version=item.version if with_version else None,
            )
            outcomes.append("accepted")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # any other outcome must show in the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.parametrize("with_version", [False, True], ids=["status-check", "version-check"])
def test_two_receivers_accepting_at_once_give_one_success_and_one_conflict(
    personas, monkeypatch, with_version
):
    second = UserFactory(username="specialist_two")
    MembershipFactory(user=second, institution=personas.county_a, role="clinician")
    actors = [personas.specialist, second]
    for actor in actors:
        access_for(actor)  # read memberships before the race, not during it

    # Hold the winner inside its transaction a little longer, so that the loser really reaches
    # the row lock while the winner still has it.
    real_record = audit.record

    def slow_record(*args, **kwargs):
        time.sleep(0.2)
        return real_record(*args, **kwargs)

    monkeypatch.setattr("lianxin.core.workflow.engine.audit.record", slow_record)

    for _ in range(ROUNDS):
        errand = _received_errand(personas)
        version = Errand.objects.get(pk=errand.pk).version
        outcomes = _race(errand, actors, with_version=with_version)
        assert sorted(outcomes) == ["accepted", "conflict"]
        stored = Errand.objects.get(pk=errand.pk)
        assert stored.status == Status.ACCEPTED
        assert stored.version == version + 1
        assert errand.history.filter(name="accept").count() == 1
    assert audit.verify() == []
