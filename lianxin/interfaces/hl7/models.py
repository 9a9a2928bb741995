"""HL7 v2 interface models: the laboratory systems that talk HL7 v2 to Lianxin, the analyte code
mapping, and the raw transaction log of every HL7 message in or out."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import BaseModel
from lianxin.diagnostics.rules import ANALYTES
from lianxin.network.models import Institution


class OrderMessage(models.TextChoices):
    NONE = "", _("Does not take orders")
    ORM_O01 = "ORM^O01", "ORM^O01 (HL7 v2.3–2.5)"
    OML_O21 = "OML^O21", "OML^O21 (HL7 v2.5+)"


class Hl7Peer(BaseModel):
    """A laboratory information system or analyser middleware that sends results to Lianxin
    over HL7 v2 / MLLP (known by MSH-3 sending application and MSH-4 sending facility), and may
    take orders from Lianxin at its own MLLP address."""

    name = models.CharField(_("name"), max_length=80)
    sending_application = models.CharField(_("sending application (MSH-3)"), max_length=40)
    sending_facility = models.CharField(_("sending facility (MSH-4)"), max_length=40)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("laboratory institution"),
        on_delete=models.PROTECT,
        related_name="hl7_peers",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("interface account"),
        on_delete=models.PROTECT,
        related_name="hl7_peer",
        help_text=_("Reports from this system are drafted and signed under this account."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order_message = models.CharField(
        _("orders sent as"), max_length=8, choices=OrderMessage.choices, blank=True, default=""
    )
    order_host = models.CharField(_("order receiver host"), max_length=100, blank=True)
    order_port = models.PositiveIntegerField(_("order receiver port"), null=True, blank=True)
    order_version = models.CharField(_("HL7 version of orders"), max_length=5, default="2.5")

    class Meta:
        verbose_name = _("HL7 laboratory system")
        verbose_name_plural = _("HL7 laboratory systems")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["sending_application", "sending_facility"],
                name="one_hl7_peer_per_sender",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sender_key(self) -> str:
        return f"{self.sending_application}^{self.sending_facility}"

    @property
    def takes_orders(self) -> bool:
        return bool(self.order_message and self.order_host and self.order_port)


ANALYTE_CHOICES = [(code, f"{code} {spec.name}") for code, spec in ANALYTES.items()]


class AnalyteMapping(models.Model):
    """One code a laboratory sends in OBX-3 (LOINC or its local code) and the Lianxin analyte it
    means. A mapping without a system applies to every laboratory system."""

    peer = models.ForeignKey(
        Hl7Peer,
        verbose_name=_("laboratory system"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mappings",
        help_text=_("Empty: the code means the same from every laboratory system."),
    )
    coding_system = models.CharField(
        _("coding system (OBX-3.3)"),
        max_length=20,
        blank=True,
        help_text=_("LN for LOINC, or the laboratory's local system name; empty matches any."),
    )
    code = models.CharField(_("code (OBX-3.1)"), max_length=40)
    analyte = models.CharField(_("Lianxin analyte"), max_length=10, choices=ANALYTE_CHOICES)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("analyte code mapping")
        verbose_name_plural = _("analyte code mappings")
        ordering = ["peer_id", "coding_system", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "coding_system", "code"],
                name="one_mapping_per_code",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        system = f"{self.coding_system}:" if self.coding_system else ""
        return f"{system}{self.code} → {self.analyte}"


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class Outcome(models.TextChoices):
    PENDING = "", _("Pending")
    AA = "AA", _("Accepted (AA)")
    AE = "AE", _("Error (AE)")
    AR = "AR", _("Rejected (AR)")


class Hl7MessageQuerySet(models.QuerySet):
    def failed(self) -> Hl7MessageQuerySet:
        return self.filter(direction=Direction.IN, outcome__in=[Outcome.AE, Outcome.AR])


class Hl7Message(models.Model):
    """One HL7 v2 message as it went over the wire, kept raw: who sent it, when, what Lianxin
    answered and why. A message accepted once (AA) is stored once per sender and MSH-10."""

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    peer = models.ForeignKey(
        Hl7Peer,
        verbose_name=_("laboratory system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    sender = models.CharField(_("sender (MSH-3^MSH-4)"), max_length=90, blank=True)
    control_id = models.CharField(_("message control ID (MSH-10)"), max_length=40, blank=True)
    message_type = models.CharField(_("message type"), max_length=20, blank=True)
    version = models.CharField(_("HL7 version"), max_length=8, blank=True)
    raw = models.TextField(_("message"))
    received_at = models.DateTimeField(_("time"), db_index=True)
    outcome = models.CharField(
        _("outcome"), max_length=2, choices=Outcome.choices, blank=True, default=""
    )
    error = models.TextField(_("error"), blank=True)
    ack = models.TextField(_("acknowledgement"), blank=True)
    order = models.ForeignKey(
        "diagnostics.ExamOrder",
        verbose_name=_("exam order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hl7_messages",
    )
    duplicates = models.PositiveIntegerField(_("times received again"), default=0)
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    rerun_of = models.ForeignKey(
        "self",
        verbose_name=_("re-run of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reruns",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = Hl7MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("HL7 message")
        verbose_name_plural = _("HL7 messages")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["direction", "outcome", "received_at"], name="hl7_outcome_idx"),
            models.Index(fields=["sender", "control_id"], name="hl7_control_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "control_id"],
                condition=Q(direction="in", outcome="AA"),
                name="hl7_accepted_once_per_control_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} {self.outcome}"
