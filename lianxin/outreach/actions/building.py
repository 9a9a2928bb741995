"""Capability building: technique transfer, co-built specialties and training placements."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.errors import Conflict
from lianxin.network.models import Agreement, Capability, CapabilityKind, Department, Institution
from lianxin.outreach.actions.common import (
    check_department,
    check_not_future,
    check_period,
    check_reachable,
    clean_text,
    require_outreach,
)
from lianxin.outreach.models import (
    CoBuiltSpecialty,
    TechniqueCase,
    TechniqueTransfer,
    TrainingPlacement,
)
from lianxin.outreach.rules import AssessmentResult, SpecialtyStatus
from lianxin.workforce.models import Practitioner, Specialty


def do_introduce_technique(
    *,
    actor: Any,
    host_institution: Institution,
    name: str,
    mentor: Practitioner,
    introduced_on: datetime.date,
    capability: Capability | None = None,
) -> TechniqueTransfer:
    """A new technique (新技术新项目) at a member site, taught by a mentor from another site."""
    lead = mentor.institution
    require_outreach(actor, lead, host_institution)
    name = clean_text(name)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the technique.")]
    if lead.pk == host_institution.pk:
        errors["mentor"] = [_("The mentor comes from another institution than the host.")]
    if capability is not None and capability.kind != CapabilityKind.PROCEDURE:
        errors["capability"] = [_("A technique is a procedure, not a facility.")]
    if errors:
        raise ValidationError(errors)
    check_reachable(actor, host_institution, "host_institution")
    check_not_future(introduced_on, "introduced_on")
    with transaction.atomic():
        technique = TechniqueTransfer.objects.create(
            host_institution=host_institution,
            lead_institution=lead,
            name=name[:120],
            capability=capability,
            mentor=mentor,
            introduced_on=introduced_on,
        )
        audit.record(
            "outreach.technique.introduce",
            actor=actor,
            target=technique,
            institution=host_institution,
            after={
                "name": technique.name,
                "mentor": str(mentor.external_id),
                "introduced_on": introduced_on,
            },
        )
    return technique


def do_record_technique_case(
    *,
    actor: Any,
    technique: TechniqueTransfer,
    performed_on: datetime.date,
    with_mentor: bool,
    operator: Practitioner | None = None,
    note: str = "",
) -> TechniqueCase:
    """One case of the technique. The earliest case is the first case (首例); the earliest one
    that host staff performed without the mentor is the independence milestone."""
    require_outreach(actor, technique.lead_institution_id, technique.host_institution_id)
    if not isinstance(performed_on, datetime.date):
        raise ValidationError({"performed_on": [_("Give the day.")]})
    if performed_on < technique.introduced_on:
        raise ValidationError(
            {"performed_on": [_("This day is before the technique was introduced.")]}
        )
    check_not_future(performed_on, "performed_on")
    if not with_mentor:
        if operator is None:
            raise ValidationError(
                {"operator": [_("Name the host doctor who performed it without the mentor.")]}
            )
        if operator.institution_id != technique.host_institution_id:
            raise ValidationError({"operator": [_("This doctor does not work at the host.")]})
    with transaction.atomic():
        locked = TechniqueTransfer.objects.select_for_update().get(pk=technique.pk)
        case = TechniqueCase.objects.create(
            technique=locked,
            performed_on=performed_on,
            operator=operator,
            with_mentor=with_mentor,
            note=clean_text(note)[:200],
        )
        before = {"first_case_on": locked.first_case_on, "independent_on": locked.independent_on}
        if locked.first_case_on is None or performed_on < locked.first_case_on:
            locked.first_case_on = performed_on
        if not with_mentor and (
            locked.independent_on is None or performed_on < locked.independent_on
        ):
            locked.independent_on = performed_on
        locked.save(update_fields=["first_case_on", "independent_on", "updated_at"])
        audit.record(
            "outreach.technique.case",
            actor=actor,
            target=locked,
            institution=locked.host_institution_id,
            before=before,
            after={
                "performed_on": performed_on,
                "with_mentor": with_mentor,
                "first_case_on": locked.first_case_on,
                "independent_on": locked.independent_on,
            },
        )
    technique.first_case_on, technique.independent_on = locked.first_case_on, locked.independent_on
    return case


def do_create_cobuilt_specialty(
    *,
    actor: Any,
    lead_institution: Institution,
    host_institution: Institution,
    name: str,
    goals: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    specialty: Specialty | None = None,
    agreement: Agreement | None = None,
    status: str = SpecialtyStatus.PLANNED,
) -> CoBuiltSpecialty:
    """A specialty the lead and a member build together (专科共建)."""
    require_outreach(actor, lead_institution, host_institution)
    name, goals = clean_text(name), clean_text(goals)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the specialty.")]
    if not goals:
        errors["goals"] = [_("Write down the goals agreed.")]
    if lead_institution.pk == host_institution.pk:
        errors["host_institution"] = [_("A specialty is built with another institution.")]
    if status not in SpecialtyStatus.values:
        errors["status"] = [_("Choose a status.")]
    if agreement is not None and {agreement.party_a_id, agreement.party_b_id} != {
        lead_institution.pk,
        host_institution.pk,
    }:
        errors["agreement"] = [_("This agreement is between other institutions.")]
    if errors:
        raise ValidationError(errors)
    if ends_on is not None:
        check_period(starts_on, ends_on)
    check_reachable(actor, host_institution, "host_institution")
    check_reachable(actor, lead_institution, "lead_institution")
    with transaction.atomic():
        item = CoBuiltSpecialty.objects.create(
            lead_institution=lead_institution,
            host_institution=host_institution,
            name=name[:80],
            specialty=specialty,
            agreement=agreement,
            goals=goals,
            status=status,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        audit.record(
            "outreach.specialty.create",
            actor=actor,
            target=item,
            institution=host_institution,
            after={
                "name": item.name,
                "status": status,
                "agreement": str(agreement.external_id) if agreement else None,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
    return item


SPECIALTY_FIELDS = ("name", "goals", "agreement", "specialty", "status", "starts_on", "ends_on")


def _specialty_snapshot(item: CoBuiltSpecialty) -> dict[str, Any]:
    return {
        "name": item.name,
        "goals": item.goals,
        "agreement": str(item.agreement.external_id) if item.agreement_id else None,
        "specialty": item.specialty.code if item.specialty_id else None,
        "status": item.status,
        "starts_on": item.starts_on,
        "ends_on": item.ends_on,
    }


def do_update_cobuilt_specialty(
    *, actor: Any, item: CoBuiltSpecialty, **changes: Any
) -> CoBuiltSpecialty:
    """Change what was agreed for a co-built specialty: its name, goals, agreement, catalogue
    specialty, status or period. Only the fields given change; nothing changed, nothing written."""
    require_outreach(actor, item.lead_institution_id, item.host_institution_id)
    unknown = set(changes) - set(SPECIALTY_FIELDS)
    if unknown:
        raise ValidationError({key: [_("This field cannot be changed.")] for key in unknown})
    errors: dict[str, list[str]] = {}
    if "name" in changes:
        changes["name"] = clean_text(changes["name"])[:80]
        if not changes["name"]:
            errors["name"] = [_("Name the specialty.")]
    if "goals" in changes:
        changes["goals"] = clean_text(changes["goals"])
        if not changes["goals"]:
            errors["goals"] = [_("Write down the goals agreed.")]
    if "status" in changes and changes["status"] not in SpecialtyStatus.values:
        errors["status"] = [_("Choose a status.")]
    agreement = changes.get("agreement")
    if agreement is not None and {agreement.party_a_id, agreement.party_b_id} != {
        item.lead_institution_id,
        item.host_institution_id,
    }:
        errors["agreement"] = [_("This agreement is between other institutions.")]
    if "starts_on" in changes and not isinstance(changes["starts_on"], datetime.date):
        errors["starts_on"] = [_("Give the first day.")]
    if errors:
        raise ValidationError(errors)
    starts_on = changes.get("starts_on", item.starts_on)
    ends_on = changes.get("ends_on", item.ends_on)
    if ends_on is not None:
        check_period(starts_on, ends_on)
    with transaction.atomic():
        locked = (
            # Only the specialty's row is locked: PostgreSQL cannot lock the nullable side of
            # the outer joins that bring its agreement and catalogue specialty.
            CoBuiltSpecialty.objects.select_for_update(of=("self",))
            .select_related("agreement", "specialty")
            .get(pk=item.pk)
        )
        before = _specialty_snapshot(locked)
        for key, value in changes.items():
            setattr(locked, key, value)
        after = _specialty_snapshot(locked)
        changed = [key for key in after if after[key] != before[key]]
        if not changed:
            return locked
        locked.save(update_fields=[*changes, "updated_at"])
        audit.record(
            "outreach.specialty.update",
            actor=actor,
            target=locked,
            institution=locked.host_institution_id,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return locked


def do_set_specialty_status(*, actor: Any, item: CoBuiltSpecialty, status: str) -> CoBuiltSpecialty:
    require_outreach(actor, item.lead_institution_id, item.host_institution_id)
    if status not in SpecialtyStatus.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    with transaction.atomic():
        before = item.status
        item.status = status
        item.save(update_fields=["status", "updated_at"])
        audit.record(
            "outreach.specialty.status",
            actor=actor,
            target=item,
            institution=item.host_institution_id,
            before={"status": before},
            after={"status": status},
        )
    return item


def do_create_placement(
    *,
    actor: Any,
    trainee: Practitioner,
    host_institution: Institution,
    starts_on: datetime.date,
    ends_on: datetime.date,
    department: Department | None = None,
    supervisor: Practitioner | None = None,
) -> TrainingPlacement:
    """A member's staff member trained at the lead hospital (进修)."""
    home = trainee.institution
    require_outreach(actor, home, host_institution)
    check_period(starts_on, ends_on)
    if home.pk == host_institution.pk:
        raise ValidationError(
            {"host_institution": [_("A placement is at another institution than the trainee's.")]}
        )
    check_reachable(actor, host_institution, "host_institution")
    check_department(department, host_institution, "department")
    if supervisor is not None and supervisor.institution_id != host_institution.pk:
        raise ValidationError({"supervisor": [_("The supervisor works at the training site.")]})
    with transaction.atomic():
        Practitioner.objects.select_for_update().get(pk=trainee.pk)
        clash = (
            TrainingPlacement.objects.filter(
                trainee=trainee, starts_on__lte=ends_on, ends_on__gte=starts_on
            )
            .select_related("host_institution")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "starts_on": [
                        _("%(name)s is already in training at %(host)s from %(start)s to %(end)s.")
                        % {
                            "name": trainee.name,
                            "host": clash.host_institution.name,
                            "start": clash.starts_on.isoformat(),
                            "end": clash.ends_on.isoformat(),
                        }
                    ]
                }
            )
        placement = TrainingPlacement.objects.create(
            trainee=trainee,
            home_institution=home,
            host_institution=host_institution,
            department=department,
            supervisor=supervisor,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        audit.record(
            "outreach.placement.create",
            actor=actor,
            target=placement,
            institution=host_institution,
            after={"trainee": str(trainee.external_id), "starts_on": starts_on, "ends_on": ends_on},
        )
    return placement


def do_assess_placement(
    *,
    actor: Any,
    placement: TrainingPlacement,
    result: str,
    assessed_on: datetime.date,
    note: str = "",
) -> TrainingPlacement:
    """The assessment at the end of a placement, by the training site."""
    require_outreach(actor, placement.host_institution_id)
    if result not in AssessmentResult.values or result == AssessmentResult.PENDING:
        raise ValidationError({"result": [_("Choose the assessment result.")]})
    if not isinstance(assessed_on, datetime.date) or assessed_on < placement.starts_on:
        raise ValidationError(
            {"assessed_on": [_("The assessment comes after the placement starts.")]}
        )
    check_not_future(assessed_on, "assessed_on")
    with transaction.atomic():
        changed = TrainingPlacement.objects.filter(
            pk=placement.pk, result=AssessmentResult.PENDING
        ).update(result=result, assessed_on=assessed_on, assessment_note=clean_text(note)[:200])
        if not changed:
            raise Conflict(_("This placement was already assessed."))
        audit.record(
            "outreach.placement.assess",
            actor=actor,
            target=placement,
            institution=placement.host_institution_id,
            after={"result": result, "assessed_on": assessed_on},
        )
    placement.refresh_from_db()
    return placement
