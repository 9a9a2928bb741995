"""Recurring jobs that the task workers run themselves, so no outside cron job is needed.

Each worker (and the demo's server process) runs a small scheduler thread. Every few seconds it
asks, for each job, whether the job is due; the answer is a conditional ``UPDATE`` of the job's
``last_run_at`` that only one process can win per period, so the job runs once across all workers.
The winner enqueues the job's task; a worker (or, in the demo, the same process) runs it.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from lianxin.core.models import ScheduledJob

logger = logging.getLogger(__name__)
TICK_SECONDS = 15.0


@dataclass(frozen=True)
class Job:
    name: str
    every: datetime.timedelta
    enqueue: Callable[[], object]


def _enqueue_escalation() -> object:
    from lianxin.core.tasks import escalate_overdue_items

    return escalate_overdue_items.enqueue()


def jobs() -> list[Job]:
    minutes = getattr(settings, "LIANXIN_ESCALATE_EVERY_MINUTES", 2)
    return [Job("escalate", datetime.timedelta(minutes=minutes), _enqueue_escalation)]


def claim(name: str, every: datetime.timedelta, *, now: datetime.datetime | None = None) -> bool:
    """True for exactly one caller per period: the one whose update moved ``last_run_at``."""
    now = now or timezone.now()
    with contextlib.suppress(IntegrityError):  # another worker created the row just now
        ScheduledJob.objects.get_or_create(name=name)
    due = Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - every)
    return ScheduledJob.objects.filter(due, name=name).update(last_run_at=now) == 1


def run_due(*, now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every job that is due and that this process won; returns their names."""
    started = []
    for job in jobs():
        if claim(job.name, job.every, now=now):
            job.enqueue()
            started.append(job.name)
    return started


class Scheduler(threading.Thread):
    """The background thread of a worker or demo server; stop it with ``stop()``."""

    def __init__(self, tick: float = TICK_SECONDS):
        super().__init__(name="lianxin-scheduler", daemon=True)
        self.tick = tick
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            close_old_connections()
            try:
                for name in run_due():
                    logger.info("scheduled job %s started", name)
            except Exception:  # a database hiccup must not end the scheduler for good
                logger.exception("scheduled jobs could not run; trying again shortly")
            finally:
                connection.close()
            self._stopped.wait(self.tick)

    def stop(self) -> None:
        self._stopped.set()
