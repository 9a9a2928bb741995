"""Abstract models for workflow items and their transition history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.core.workflow.definition import DEFAULT_WORKFLOW, Workflow
from lianxin.core.workflow.states import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Side,
    Status,
    business_status_label,
    step_label,
)


class WorkflowQuerySet(ScopedQuerySet):
    """Items visible to the parties to them: the requesting and the performing institution."""

    def scope(self, access: Access) -> WorkflowQuerySet:
        ids = access.institution_ids
        return self.filter(
            models.Q(requester_institution_id__in=ids) | models.Q(performer_institution_id__in=ids)
        )

    def open(self) -> WorkflowQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self) -> WorkflowQuerySet:
        return self.filter(status__in=CLOSED_STATUSES)

    def overdue(self, now: datetime | None = None) -> WorkflowQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def requested_by(self, institution_ids: Any) -> WorkflowQuerySet:
        return self.filter(requester_institution_id__in=institution_ids)

    def performed_by(self, institution_ids: Any) -> WorkflowQuerySet:
        return self.filter(performer_institution_id__in=institution_ids)


class WorkflowItem(BaseModel):
    """Something one institution asks another to do, moving through the shared workflow (FHIR
    ``Task``): a referral, a consultation, an exam order, a critical result.

    Concrete models set ``workflow`` (a ``Workflow``; default: the full default graph) and have one
    ``TransitionRecord`` subclass pointing at them with a field named ``item``. They change
    ``status`` only through ``lianxin.core.workflow.transition``.
    """

    workflow: ClassVar[Workflow] = DEFAULT_WORKFLOW

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    business_status = models.CharField(
        _("business status"),
        max_length=40,
        blank=True,
        help_text=_("Local step within the status, e.g. booked, arrived, report sent back."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    requester_institution = models.ForeignKey(
        "network.Institution",
        verbose_name=_("requesting institution"),
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_requested",
    )
    performer_institution = models.ForeignKey(
        "network.Institution",
        verbose_name=_("performing institution"),
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_performed",
    )
    performer_department = models.ForeignKey(
        "network.Department",
        verbose_name=_("performing department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_performed",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_requested",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_owned",
        help_text=_("Who took the item on at the performing institution."),
    )

    objects = WorkflowQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def business_status_display(self) -> str:
        return business_status_label(self.business_status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < (now or timezone.now())

    @classmethod
    def history_model(cls) -> type[TransitionRecord]:
        """The ``TransitionRecord`` subclass whose ``item`` points at this model."""
        found = [
            rel.related_model
            for rel in cls._meta.related_objects
            if rel.field.name == "item"
            and isinstance(rel.related_model, type)
            and issubclass(rel.related_model, TransitionRecord)
        ]
        if len(found) != 1:
            raise ImproperlyConfigured(
                f"{cls._meta.label} needs exactly one TransitionRecord subclass with an `item` "
                f"foreign key to it (found {len(found)})"
            )
        return found[0]

    @property
    def history(self) -> models.QuerySet[TransitionRecord]:
        """This item's transition rows, oldest first."""
        return self.history_model().objects.filter(item=self).order_by("at", "id")


class TransitionRecord(models.Model):
    """One row per transition of a workflow item (and per escalation): the item's history.

    Concrete subclasses add ``item = models.ForeignKey(<Item>, on_delete=models.CASCADE,
    related_name="transitions")``.
    """

    from_status = models.CharField(
        _("from status"), max_length=20, choices=Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices)
    business_status = models.CharField(_("business status"), max_length=40, blank=True)
    name = models.CharField(_("transition"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acting_institution = models.ForeignKey(
        "network.Institution",
        verbose_name=_("acting institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    reason = models.TextField(_("reason"), blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"))
    version = models.PositiveIntegerField(_("version after"))
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.from_status or '∅'} → {self.to_status}"

    @property
    def business_status_display(self) -> str:
        return business_status_label(self.business_status)

    @property
    def name_display(self) -> str:
        return step_label(self.name)
