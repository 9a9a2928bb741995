"""Editing the rules that are data: result recognition (per exam item) and the second-reader
rule (per shared centre and item). Each change is audited with before and after."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm
from lianxin.diagnostics.models import ExamItem, RecognitionRule, SecondReadRule
from lianxin.diagnostics.rules import Scope
from lianxin.network.models import Department

RULE_FIELDS = ("validity_days", "scope", "requires_qc", "conditions", "source", "is_active")


def _snapshot(rule: RecognitionRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def can_edit_recognition_rules(actor: Any) -> bool:
    return access_for(actor).has_perm(Perm.MANAGE_NETWORK)


def do_update_recognition_rule(
    *,
    actor: Any,
    rule: RecognitionRule,
    validity_days: int,
    scope: str,
    requires_qc: bool,
    conditions: str = "",
    source: str = "",
    is_active: bool = True,
) -> RecognitionRule:
    """Change how long and how far a result of one exam item is recognised (network admins)."""
    if not can_edit_recognition_rules(actor):
        raise NotAllowed(_("Only network administrators edit the recognition rules."))
    errors: dict[str, list[str]] = {}
    if not isinstance(validity_days, int) or not 1 <= validity_days <= 3650:
        errors["validity_days"] = [_("Give the validity in days, from 1 to 3650.")]
    if scope not in Scope.values:
        errors["scope"] = [_("Choose a scope from the list.")]
    if not (source or "").strip():
        errors["source"] = [_("Name the standard or policy the rule comes from.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = RecognitionRule.objects.select_for_update().get(pk=rule.pk)
        before = _snapshot(locked)
        locked.validity_days, locked.scope, locked.requires_qc = validity_days, scope, requires_qc
        locked.conditions = (conditions or "").strip()[:200]
        locked.source = source.strip()[:200]
        locked.is_active = is_active
        after = _snapshot(locked)
        changed = [name for name in RULE_FIELDS if before[name] != after[name]]
        if changed:
            locked.save(update_fields=changed)
            audit.record(
                "diagnostics.recognition_rule.update",
                actor=actor,
                target=locked,
                target_id=locked.exam.code,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
    return locked


def do_set_second_read_rule(
    *,
    actor: Any,
    centre: Department,
    exam: ExamItem | None,
    requires_second_reader: bool,
    source: str = "",
) -> SecondReadRule:
    """Say whether a centre's reports (all, or one exam item's) need a second reader (审核)."""
    access = access_for(actor)
    if not (
        access.has_perm(Perm.MANAGE_NETWORK)
        or access.has_perm(Perm.MANAGE_INSTITUTION, centre.institution_id)
    ):
        raise NotAllowed(
            _("You may not change the reading rules of %(centre)s.") % {"centre": centre}
        )
    with transaction.atomic():
        rule, created = SecondReadRule.objects.select_for_update().get_or_create(
            centre=centre,
            exam=exam,
            defaults={"requires_second_reader": requires_second_reader, "source": source},
        )
        before = None if created else {"requires_second_reader": rule.requires_second_reader}
        if not created:
            rule.requires_second_reader = requires_second_reader
            rule.source = (source or "").strip()[:200]
            rule.save(update_fields=["requires_second_reader", "source"])
        audit.record(
            "diagnostics.second_read_rule.set",
            actor=actor,
            target=rule,
            institution=centre.institution_id,
            before=before,
            after={
                "centre": centre.name,
                "exam": exam.code if exam else "",
                "requires_second_reader": requires_second_reader,
            },
        )
    return rule
