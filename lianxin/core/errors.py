"""Errors raised by action functions; views and the API turn them into clear 4xx answers."""

from __future__ import annotations


class ActionError(Exception):
    """A request that cannot be carried out as asked; nothing was written."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class NotAllowed(ActionError):
    status = 403
    code = "not_allowed"


class Conflict(ActionError):
    """Someone else changed the item first (optimistic concurrency) or it is already taken."""

    status = 409
    code = "conflict"


class Throttled(ActionError):
    """Too many requests of one kind in a short time; try again later."""

    status = 429
    code = "throttled"
