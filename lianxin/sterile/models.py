"""The sterile-supply centre (消毒供应中心): the set catalogue, packs and their trace, washer and
steriliser loads with their monitoring, branch requests, and recalls.

A ``Pack`` is one physical instrument set with a permanent barcode; each pass through the centre
is a *cycle* (numbered from 1, the number rises at collection). Every scanned step is a
``PackEvent`` of the pack's current cycle, so the trace of a cycle — which washer and steriliser
load, who packed it, which branch, which patient — is the events with that (pack, cycle).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianxin.core.access import Access, ScopedQuerySet
from lianxin.core.models import BaseModel
from lianxin.sterile.rules import (
    BiFrequency,
    Condition,
    MachineKind,
    Method,
    Packaging,
    PackStatus,
    RecallReason,
    Step,
)


class CentreQuerySet(ScopedQuerySet):
    """Rows of a centre: seen by the users of the centre's institution."""

    centre_path = "centre__institution_id"

    def scope(self, access: Access) -> CentreQuerySet:
        return self.filter(**{f"{self.centre_path}__in": access.institution_ids})


class CatalogueQuerySet(ScopedQuerySet):
    """The catalogue is seen by the centre and by every institution of its communities."""

    def scope(self, access: Access) -> CatalogueQuerySet:
        return self.filter(centre__institution_id__in=access.registry_institution_ids)


class InstrumentSet(BaseModel):
    """A kind of instrument set (器械包) in the centre's catalogue, with its contents."""

    centre = models.ForeignKey(
        "network.Department",
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        related_name="instrument_sets",
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=80)
    is_implant = models.BooleanField(_("implant set"), default=False)
    packaging = models.CharField(
        _("packaging"), max_length=20, choices=Packaging.choices, default=Packaging.NONWOVEN
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("instrument set")
        verbose_name_plural = _("instrument sets")
        ordering = ["centre_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="instrument_set_code_once")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def item_total(self) -> int:
        return sum(item.count for item in self.items.all())


class SetItem(models.Model):
    """One line of a set's contents: an instrument and how many of it."""

    instrument_set = models.ForeignKey(
        InstrumentSet, verbose_name=_("instrument set"), on_delete=models.CASCADE,
        related_name="items",
    )  # fmt: skip
    name = models.CharField(_("instrument"), max_length=80)
    count = models.PositiveSmallIntegerField(_("count"), default=1)

    class Meta:
        verbose_name = _("set item")
        verbose_name_plural = _("set items")
        ordering = ["instrument_set_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} × {self.count}"


class Machine(BaseModel):
    """A washer-disinfector or steriliser of the centre: a piece of registered equipment (its
    status history says whether it was in use)."""

    centre = models.ForeignKey(
        "network.Department", verbose_name=_("centre"), on_delete=models.PROTECT,
        related_name="sterile_machines",
    )  # fmt: skip
    equipment = models.OneToOneField(
        "network.Equipment", verbose_name=_("equipment"), on_delete=models.PROTECT,
        related_name="sterile_machine",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=12, choices=MachineKind.choices)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    name = models.CharField(_("name"), max_length=60)

    objects = CentreQuerySet.as_manager()

    class Meta:
        verbose_name = _("machine")
        verbose_name_plural = _("machines")
        ordering = ["centre_id", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class LoadStatus(models.TextChoices):
    OPEN = "open", _("Loading")
    DONE = "done", _("Run, awaiting release")
    RELEASED = "released", _("Released")
    FAILED = "failed", pgettext_lazy("sterile load", "Failed")


class BiResult(models.TextChoices):
    NONE = "", _("No biological indicator")
    PENDING = "pending", _("Incubating")
    NEGATIVE = "negative", _("Negative (pass)")
    POSITIVE = "positive", _("Positive (fail)")


class WasherLoad(BaseModel):
    """One run of a washer-disinfector: program, temperature, time, A0, operator."""

    centre = models.ForeignKey(
        "network.Department", verbose_name=_("centre"), on_delete=models.PROTECT, related_name="+"
    )
    machine = models.ForeignKey(
        Machine, verbose_name=_("washer"), on_delete=models.PROTECT, related_name="washer_loads"
    )
    program = models.CharField(_("program"), max_length=20)
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    temperature = models.DecimalField(
        _("temperature (℃)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    minutes = models.DecimalField(
        _("minutes"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    a0 = models.PositiveIntegerField(_("A0 value"), null=True, blank=True)
    passed = models.BooleanField(_("parameters passed"), default=False)
    problems = models.CharField(_("problems"), max_length=200, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("operator"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    objects = CentreQuerySet.as_manager()

    class Meta:
        verbose_name = _("washer load")
        verbose_name_plural = _("washer loads")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.machine} {self.started_at:%Y-%m-%d %H:%M}"


class SterilisationLoad(BaseModel):
    """One run of a steriliser with its monitoring: physical parameters, chemical indicator,
    biological indicator when the rules ask for one, and its release."""

    centre = models.ForeignKey(
        "network.Department", verbose_name=_("centre"), on_delete=models.PROTECT, related_name="+"
    )
    machine = models.ForeignKey(
        Machine, verbose_name=_("steriliser"), on_delete=models.PROTECT, related_name="loads"
    )
    cycle_number = models.PositiveIntegerField(_("cycle number"))
    program = models.CharField(_("program"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=LoadStatus.choices, default=LoadStatus.OPEN
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("operator"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    has_implant = models.BooleanField(_("contains an implant"), default=False)
    # Physical monitoring (WS 310.3-2016 4.4.2.1).
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    temperature = models.DecimalField(
        _("temperature (℃)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    minutes = models.DecimalField(
        _("exposure (minutes)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    pressure_kpa = models.DecimalField(
        _("pressure (kPa)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    physical_ok = models.BooleanField(_("physical parameters passed"), null=True)
    problems = models.CharField(_("problems"), max_length=200, blank=True)
    # Chemical monitoring (4.4.2.2).
    chemical_class = models.PositiveSmallIntegerField(_("chemical indicator class"), null=True)
    chemical_ok = models.BooleanField(_("chemical indicator passed"), null=True)
    # Biological monitoring (4.4.2.3).
    bi_reason = models.CharField(
        _("why a BI"), max_length=20, blank=True,
        help_text=_("The rule that asked for a biological indicator in this load."),
    )  # fmt: skip
    bi_result = models.CharField(
        _("biological indicator"), max_length=10, choices=BiResult.choices, blank=True
    )
    bi_read_at = models.DateTimeField(_("BI read at"), null=True, blank=True)
    bi_read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("BI read by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    # Release.
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("released by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    emergency_reason = models.CharField(_("emergency release reason"), max_length=200, blank=True)
    followed_up_at = models.DateTimeField(_("emergency release followed up"), null=True)
    bowie_dick = models.ForeignKey(
        "BowieDickTest", verbose_name=_("Bowie-Dick test of the day"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="loads",
    )  # fmt: skip

    objects = CentreQuerySet.as_manager()

    class Meta:
        verbose_name = _("sterilisation load")
        verbose_name_plural = _("sterilisation loads")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["machine", "cycle_number"], name="sterilisation_cycle_once_per_machine"
            )
        ]
        indexes = [models.Index(fields=["machine", "started_at"], name="load_machine_time_idx")]

    def __str__(self) -> str:
        return f"{self.machine} #{self.cycle_number}"

    @property
    def is_emergency_release(self) -> bool:
        return bool(self.emergency_reason)


class BowieDickQuerySet(CentreQuerySet):
    centre_path = "machine__centre__institution_id"


class BowieDickTest(BaseModel):
    """The daily empty-chamber air-removal test of a pre-vacuum steriliser (WS 310.3-2016
    4.4.2.4): no load of that machine is released on a day without a pass."""

    machine = models.ForeignKey(
        Machine, verbose_name=_("steriliser"), on_delete=models.PROTECT, related_name="bd_tests"
    )
    tested_at = models.DateTimeField(_("tested at"), default=timezone.now)
    passed = models.BooleanField(_("passed"))
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("operator"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = BowieDickQuerySet.as_manager()

    class Meta:
        verbose_name = _("Bowie-Dick test")
        verbose_name_plural = _("Bowie-Dick tests")
        ordering = ["-tested_at"]
        indexes = [models.Index(fields=["machine", "tested_at"], name="bd_machine_time_idx")]

    def __str__(self) -> str:
        return f"B-D {self.machine} {self.tested_at:%Y-%m-%d}"


class PackQuerySet(ScopedQuerySet):
    """A pack is seen by its centre's institution and by the branch it belongs to or is at."""

    def scope(self, access: Access) -> PackQuerySet:
        ids = access.institution_ids
        return self.filter(
            models.Q(centre__institution_id__in=ids)
            | models.Q(home_id__in=ids)
            | models.Q(location_id__in=ids)
        )


class Pack(BaseModel):
    """One physical instrument set with its permanent barcode, and where it is now."""

    barcode = models.CharField(_("barcode"), max_length=32, unique=True)
    instrument_set = models.ForeignKey(
        InstrumentSet, verbose_name=_("instrument set"), on_delete=models.PROTECT,
        related_name="packs",
    )  # fmt: skip
    centre = models.ForeignKey(
        "network.Department", verbose_name=_("centre"), on_delete=models.PROTECT,
        related_name="packs",
    )  # fmt: skip
    home = models.ForeignKey(
        "network.Institution", verbose_name=_("branch"), on_delete=models.PROTECT,
        related_name="home_packs", help_text=_("The institution the set is kept for."),
    )  # fmt: skip
    location = models.ForeignKey(
        "network.Institution", verbose_name=_("where it is"), on_delete=models.PROTECT,
        related_name="packs_here",
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=PackStatus.choices)
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    packaging = models.CharField(_("packaging"), max_length=20, choices=Packaging.choices)
    load = models.ForeignKey(
        SterilisationLoad, verbose_name=_("sterilisation load"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="packs",
    )  # fmt: skip
    sterilised_at = models.DateTimeField(_("sterilised at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("sterile until"), null=True, blank=True)
    recalled = models.BooleanField(_("recalled"), default=False)

    objects = PackQuerySet.as_manager()

    class Meta:
        verbose_name = _("pack")
        verbose_name_plural = _("packs")
        ordering = ["barcode"]
        indexes = [
            models.Index(fields=["location", "status"], name="pack_location_status_idx"),
            models.Index(fields=["status", "expires_at"], name="pack_status_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.barcode

    def is_expired(self, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or timezone.now())


class EventQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> EventQuerySet:
        ids = access.institution_ids
        return self.filter(
            models.Q(pack__centre__institution_id__in=ids) | models.Q(institution_id__in=ids)
        )


class PackEvent(models.Model):
    """One scanned step of a pack's cycle: the trace. Append-only."""

    pack = models.ForeignKey(
        Pack, verbose_name=_("pack"), on_delete=models.PROTECT, related_name="events"
    )
    cycle = models.PositiveIntegerField(_("cycle"))
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("scanned by"), null=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    institution = models.ForeignKey(
        "network.Institution", verbose_name=_("where"), on_delete=models.PROTECT, related_name="+"
    )
    washer_load = models.ForeignKey(
        WasherLoad, verbose_name=_("washer load"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="events",
    )  # fmt: skip
    load = models.ForeignKey(
        SterilisationLoad, verbose_name=_("sterilisation load"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="events",
    )  # fmt: skip
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="sterile_pack_uses",
    )  # fmt: skip
    procedure = models.CharField(_("procedure"), max_length=120, blank=True)
    surgeon = models.ForeignKey(
        "workforce.Practitioner", verbose_name=_("surgeon"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    condition = models.CharField(
        _("condition"), max_length=10, choices=Condition.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    request = models.ForeignKey(
        "PackRequest", verbose_name=_("request"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="events",
    )  # fmt: skip

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("pack event")
        verbose_name_plural = _("pack events")
        ordering = ["pack_id", "cycle", "at", "id"]
        indexes = [
            models.Index(fields=["load", "step"], name="event_load_step_idx"),
            models.Index(fields=["pack", "cycle", "step"], name="event_pack_cycle_idx"),
            models.Index(fields=["step", "at"], name="event_step_time_idx"),
        ]
        constraints = [
            # One issue and one use per cycle: a pack is not issued twice nor used on two patients.
            models.UniqueConstraint(
                fields=["pack", "cycle"],
                condition=models.Q(step="issue"),
                name="pack_issued_once_per_cycle",
            ),
            models.UniqueConstraint(
                fields=["pack", "cycle"],
                condition=models.Q(step="use"),
                name="pack_used_once_per_cycle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pack_id}/{self.cycle} {self.step}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("pack events are append-only")
        super().save(*args, **kwargs)


class RequestQuerySet(ScopedQuerySet):
    def scope(self, access: Access) -> RequestQuerySet:
        ids = access.institution_ids
        return self.filter(models.Q(centre__institution_id__in=ids) | models.Q(branch_id__in=ids))


class PackRequest(BaseModel):
    """A branch asks the centre for sterile packs (申领)."""

    centre = models.ForeignKey(
        "network.Department", verbose_name=_("centre"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "network.Institution", verbose_name=_("branch"), on_delete=models.PROTECT,
        related_name="pack_requests",
    )  # fmt: skip
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("pack request")
        verbose_name_plural = _("pack requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.branch} {self.created_at:%Y-%m-%d}"


class PackRequestLine(models.Model):
    """How many packs of one set a request asks for."""

    request = models.ForeignKey(
        PackRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="lines"
    )
    instrument_set = models.ForeignKey(
        InstrumentSet, verbose_name=_("instrument set"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("request line")
        verbose_name_plural = _("request lines")
        constraints = [
            models.UniqueConstraint(fields=["request", "instrument_set"], name="request_set_once")
        ]

    def __str__(self) -> str:
        return f"{self.instrument_set_id} × {self.quantity}"


class RecallQuerySet(ScopedQuerySet):
    """A recall is seen by its centre and by every institution that holds or used its packs."""

    def scope(self, access: Access) -> RecallQuerySet:
        ids = access.institution_ids
        return self.filter(
            models.Q(centre__institution_id__in=ids) | models.Q(items__institution_id__in=ids)
        ).distinct()


class Recall(BaseModel):
    """A recall opened by a failed indicator: the loads it covers and every pack of them."""

    centre = models.ForeignKey(
        "network.Department", verbose_name=_("centre"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=RecallReason.choices)
    trigger_load = models.ForeignKey(
        SterilisationLoad, verbose_name=_("failed load"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="triggered_recalls",
    )  # fmt: skip
    trigger_test = models.ForeignKey(
        BowieDickTest, verbose_name=_("failed Bowie-Dick test"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="recalls",
    )  # fmt: skip
    loads = models.ManyToManyField(
        SterilisationLoad, verbose_name=_("loads recalled"), related_name="recalls"
    )
    source = models.CharField(_("rule"), max_length=200)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = RecallQuerySet.as_manager()

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Whereabouts(models.TextChoices):
    IN_CENTRE = "in_centre", _("At the centre (held)")
    IN_TRANSIT = "in_transit", _("In transit to the branch")
    AT_BRANCH = "at_branch", _("At the branch, unused")
    USED = "used", _("Used on a patient")
    REPROCESSED = "reprocessed", _("Back in processing since")


# How a recalled pack is accounted for (the stored key → its label).
ACCOUNTED_HOW = {
    "held at the centre": _("Held at the centre"),
    "reprocessed since": _("Reprocessed since"),
    "used on a patient; doctor notified": _("Used on a patient; doctor notified"),
    "returned by the branch": _("Returned by the branch"),
    "collected by the centre": _("Collected by the centre"),
}


class RecallItem(models.Model):
    """One pack (in the cycle sterilised by a recalled load): where it was when the recall opened,
    and how it was accounted for."""

    recall = models.ForeignKey(
        Recall, verbose_name=_("recall"), on_delete=models.CASCADE, related_name="items"
    )
    pack = models.ForeignKey(
        Pack, verbose_name=_("pack"), on_delete=models.PROTECT, related_name="recall_items"
    )
    cycle = models.PositiveIntegerField(_("cycle"))
    load = models.ForeignKey(
        SterilisationLoad, verbose_name=_("load"), on_delete=models.PROTECT, related_name="+"
    )
    whereabouts = models.CharField(_("where"), max_length=12, choices=Whereabouts.choices)
    institution = models.ForeignKey(
        "network.Institution", verbose_name=_("institution"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    use = models.ForeignKey(
        PackEvent, verbose_name=_("use"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    accounted_at = models.DateTimeField(_("accounted for at"), null=True, blank=True)
    accounted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accounted for by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    accounted_how = models.CharField(_("how"), max_length=120, blank=True)
    doctor_notified_at = models.DateTimeField(_("doctor notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recalled pack")
        verbose_name_plural = _("recalled packs")
        ordering = ["recall_id", "institution_id", "pack_id"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "pack", "cycle"], name="recall_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.recall_id}: {self.pack_id}/{self.cycle}"

    @property
    def how_label(self) -> str:
        """How it was accounted for, in the reader's language (stored as a key)."""
        return str(ACCOUNTED_HOW.get(self.accounted_how, self.accounted_how))


class BranchConfirmation(models.Model):
    """A branch confirms it has returned every recalled pack it held (or that it held none)."""

    recall = models.ForeignKey(
        Recall, verbose_name=_("recall"), on_delete=models.CASCADE, related_name="confirmations"
    )
    institution = models.ForeignKey(
        "network.Institution", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("branch confirmation")
        verbose_name_plural = _("branch confirmations")
        constraints = [
            models.UniqueConstraint(fields=["recall", "institution"], name="recall_confirm_once")
        ]

    def __str__(self) -> str:
        return f"{self.recall_id}: {self.institution_id}"


__all__ = [
    "BiFrequency",
    "BiResult",
    "BowieDickTest",
    "BranchConfirmation",
    "InstrumentSet",
    "LoadStatus",
    "Machine",
    "Pack",
    "PackEvent",
    "PackRequest",
    "PackRequestLine",
    "Recall",
    "RecallItem",
    "SetItem",
    "SterilisationLoad",
    "WasherLoad",
    "Whereabouts",
]
