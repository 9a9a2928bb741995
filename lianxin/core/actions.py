"""Writes of the shell itself: notifications (the inbox).

Notifications are the user's own messages, not clinical records: marking them read is not
audited, so that reading one's inbox does not flood the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from lianxin.core.models import Notification, User


def do_send_notification(
    *,
    recipient: User,
    verb: str,
    title: str,
    body: str = "",
    url: str = "",
    urgent: bool = False,
) -> Notification:
    """Put a message in one user's inbox. Outbound channels (SMS …) are the caller's concern."""
    return Notification.objects.create(
        recipient=recipient, verb=verb, title=title[:200], body=body, url=url[:300], urgent=urgent
    )


def do_mark_notifications_read(*, actor: Any, notifications: Iterable[Notification] | None) -> int:
    """Mark the given notifications of ``actor`` read (all unread ones when ``None``)."""
    queryset = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notifications is not None:
        queryset = queryset.filter(pk__in=[n.pk for n in notifications])
    with transaction.atomic():
        return queryset.update(read_at=timezone.now())
