"""Notifications: the in-app inbox plus outbound channels (SMS gateway, pager, …).

``notify(users, …)`` writes one inbox row per user and hands urgent messages to the outbound
channels after the transaction commits, as a background task, so a slow SMS gateway never holds a
clinical transaction open. Channels are classes named in ``settings.LIANXIN_NOTIFICATION_CHANNELS``;
the demo and tests use ``ConsoleChannel``, which writes to the log. A hospital plugs in its own
gateway by naming a class with the same ``send`` method.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks import task

from lianxin.core.models import Notification, User

log = logging.getLogger("lianxin.notify")

# Set while past events are replayed into inboxes (the demo's history): the messages belong in
# the inbox, but the moment to text anyone about them has passed.
_outbound_suppressed: ContextVar[bool] = ContextVar("lianxin_outbound_suppressed", default=False)


def outbound_allowed() -> bool:
    """False while past events are replayed: apps with an outbound path of their own (a duty
    phone list) check this before sending."""
    return not _outbound_suppressed.get()


@contextmanager
def outbound_suppressed() -> Iterator[None]:
    token = _outbound_suppressed.set(True)
    try:
        yield
    finally:
        _outbound_suppressed.reset(token)


def on_commit(fn: Callable[[], Any], *, robust: bool = True) -> None:
    """``transaction.on_commit`` that keeps the outbound suppression in force now: an event
    replayed or built while suppressed notifies after the commit without texting anyone."""
    if outbound_allowed():
        transaction.on_commit(fn, robust=robust)
        return

    def quietly() -> None:
        with outbound_suppressed():
            fn()

    transaction.on_commit(quietly, robust=robust)


@dataclass(frozen=True)
class Message:
    recipient_id: int
    phone: str
    title: str
    body: str
    url: str
    urgent: bool


class Channel(Protocol):
    """An outbound channel. ``send`` raises on failure; the task logs it and goes on."""

    name: str

    def send(self, message: Message) -> None: ...


class ConsoleChannel:
    """Writes outbound messages to the log: the demo's and the tests' SMS gateway."""

    name = "console"
    sent: list[Message] = []  # kept for tests to read

    def send(self, message: Message) -> None:
        masked = f"{message.phone[:3]}****{message.phone[-4:]}" if message.phone else "-"
        log.info("outbound to %s: %s", masked, message.title)
        ConsoleChannel.sent.append(message)


@cache
def channels() -> tuple[Channel, ...]:
    names = getattr(
        settings, "LIANXIN_NOTIFICATION_CHANNELS", ["lianxin.core.notify.ConsoleChannel"]
    )
    return tuple(import_string(name)() for name in names)


def notify(
    users: Iterable[User],
    *,
    verb: str,
    title: str,
    body: str = "",
    url: str = "",
    urgent: bool = False,
) -> list[Notification]:
    """Put a message in each user's inbox (once per user); urgent ones also go out by the
    outbound channels after commit."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                verb=verb,
                title=title[:200],
                body=body,
                url=url[:300],
                urgent=urgent,
            )
        )
    created = Notification.objects.bulk_create(rows)
    if urgent and created and outbound_allowed():
        ids = [str(row.external_id) for row in created]
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return created


def _enqueue(notification_ids: list[str]) -> None:
    send_outbound.enqueue(notification_ids)


def deliver(notification_ids: list[str]) -> int:
    """Send the given notifications through every outbound channel; returns messages sent."""
    sent = 0
    rows = Notification.objects.filter(external_id__in=notification_ids).select_related("recipient")
    for row in rows:
        message = Message(
            recipient_id=row.recipient_id,
            phone=row.recipient.phone,
            title=row.title,
            body=row.body,
            url=row.url,
            urgent=row.urgent,
        )
        for channel in channels():
            try:
                channel.send(message)
                sent += 1
            except Exception:  # one failing gateway must not stop the others
                log.exception("outbound channel %s failed", getattr(channel, "name", channel))
    return sent


@task()
def send_outbound(notification_ids: list[str]) -> int:
    """Background task: the outbound half of ``notify``."""
    return deliver(notification_ids)
