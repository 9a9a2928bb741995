"""Real parallel transactions (PostgreSQL): two postings of one doctor entered at the same moment
for the same days give one posting and one clear refusal."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.outreach.actions import do_create_posting
from lianxin.outreach.models import Posting
from lianxin.outreach.tests.conftest import days
from lianxin.testing.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 3


def _race(calls, exc_owner: int) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except ValidationError as exc:
            # The refusal names the winner's posting (in the active language).
            clash = Posting.objects.filter(practitioner_id=exc_owner).values_list(
                "external_id", flat=True
            )
            named = any(str(key) in " ".join(exc.messages) for key in clash)
            outcomes.append("refused" if named else repr(exc))
        except Exception as exc:  # anything else must show in the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return sorted(outcomes)


@pytest.fixture
def slow_audit(monkeypatch):
    """Hold each winner in its transaction a little, so the loser meets the lock for real."""
    import time

    real = audit.record

    def slow(*args, **kwargs):
        event = real(*args, **kwargs)
        time.sleep(0.05)
        return event

    monkeypatch.setattr(audit, "record", slow)


def test_two_offices_posting_one_doctor_at_once_give_one_posting(
    personas, officer, expert, today, slow_audit
):
    # The host's office may enter postings too: the two sides race for the same doctor.
    host_office = UserFactory(username="host_office")
    MembershipFactory(user=host_office, institution=personas.township_a, role="outreach_officer")
    for user in (officer, host_office):
        access_for(user)
    for n in range(ROUNDS):
        start = today + days(100 * n)
        outcomes = _race(
            [
                lambda s=start: do_create_posting(
                    actor=officer,
                    practitioner=expert,
                    host_institution=personas.township_a,
                    kind="short_term",
                    starts_on=s,
                    ends_on=s + days(10),
                ),
                lambda s=start: do_create_posting(
                    actor=host_office,
                    practitioner=expert,
                    host_institution=personas.township_a,
                    kind="itinerant",
                    starts_on=s + days(5),
                    ends_on=s + days(15),
                ),
            ],
            expert.pk,
        )
        assert outcomes == ["ok", "refused"]
    assert Posting.objects.filter(practitioner=expert).count() == ROUNDS
    assert audit.verify() == []
