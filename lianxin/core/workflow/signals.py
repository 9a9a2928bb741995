"""Signals sent after a workflow change has committed; apps connect their notifications here.

``workflow_transitioned``: sender = the item's model; kwargs ``item``, ``record`` (the history row),
``actor`` (None for the system) and ``transition`` (the ``Transition``; None on creation).
``workflow_escalated``: sender = the item's model; kwargs ``item``, ``record`` and ``level``
(1: tell the department head, 2 and up: the duty officer — the receiving app decides).
"""

from django.dispatch import Signal

workflow_transitioned = Signal()
workflow_escalated = Signal()
