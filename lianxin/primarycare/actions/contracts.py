"""Contracts: sign, renew, terminate; key populations recorded from the registry and diagnoses."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.errors import ActionError, Conflict
from lianxin.core.workflow import Status
from lianxin.network.models import Institution, Tier
from lianxin.patients.models import CareRelationship, Patient, PatientIdentifier
from lianxin.primarycare import assess
from lianxin.primarycare.actions.common import acting_site, clean
from lianxin.primarycare.actions.plans import close_plan, open_plan
from lianxin.primarycare.models import (
    CARE_PLAN,
    Contract,
    ContractPackage,
    ContractStatus,
    FollowUpPlan,
    KeyPopulation,
    PopulationSource,
    ServicePackage,
    Team,
    TeamMember,
    TeamVillage,
    end_of_day,
)
from lianxin.primarycare.rules import (
    CONTRACT_MONTHS,
    POPULATION_RULES,
    RENEW_FROM_DAYS_BEFORE_END,
    SCHEDULES,
    ConsentMethod,
    PackageKind,
    Population,
    TerminationReason,
    age_populations,
    population_for_code,
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def resident_village(patient: Patient, team: Team) -> Institution | None:
    """The resident's village clinic among the team's villages (by residence division code)."""
    if not patient.division_code:
        return None
    return (
        Institution.objects.filter(
            tier=Tier.VILLAGE,
            division_code=patient.division_code,
            pk__in=TeamVillage.objects.filter(team=team).values("village_id"),
        )
        .order_by("pk")
        .first()
    )


def _expire_lapsed(patient: Patient, today: datetime.date) -> None:
    Contract.objects.filter(
        patient=patient, status=ContractStatus.ACTIVE, ends_on__lt=today
    ).update(status=ContractStatus.EXPIRED)


def _open_care(contract: Contract) -> None:
    """The team's centre and the resident's village clinic see the resident while the contract
    runs (a care relationship, DESIGN §5), unless the resident is on their books anyway."""
    registered = set(
        PatientIdentifier.objects.filter(patient_id=contract.patient_id).values_list(
            "institution_id", flat=True
        )
    )
    for site in {contract.team.institution_id, contract.village_id} - {None} - registered:
        CareRelationship.objects.create(
            patient_id=contract.patient_id,
            institution_id=site,
            reason=_("Family-doctor contract"),
            source_type=contract._meta.label_lower,
            source_id=str(contract.external_id),
            ends_at=end_of_day(contract.ends_on),
        )


def _check_packages(packages: Sequence[ServicePackage]) -> list[ServicePackage]:
    packages = list(dict.fromkeys(packages))
    if not packages:
        raise ValidationError({"packages": [_("Choose at least one service package.")]})
    if not any(p.kind == PackageKind.BASIC for p in packages):
        raise ValidationError({"packages": [_("Every contract includes the basic package.")]})
    if any(not p.is_active for p in packages):
        raise ValidationError({"packages": [_("A chosen package is no longer offered.")]})
    return packages


def do_sign_contract(
    *,
    actor: Any,
    patient: Patient,
    team: Team,
    doctor_member: TeamMember,
    packages: Sequence[ServicePackage],
    consent_method: str,
    consent_by: str,
    starts_on: datetime.date | None = None,
    months: int = CONTRACT_MONTHS,
    renews: Contract | None = None,
) -> Contract:
    """Sign a resident up with a team: packages, fee, period, consent. One active contract per
    resident (checked here with a clear message, and by a database constraint against races).
    The resident's key populations are refreshed and their follow-up plans opened."""
    site, _member = acting_site(actor, team)
    today = timezone.localdate()
    starts_on = starts_on or today
    if not Patient.objects.visible_to(actor).filter(pk=patient.pk).exists():
        raise ValidationError({"patient": [_("This resident is not on your books.")]})
    if patient.deceased_on:
        raise ValidationError({"patient": [_("This resident is recorded as deceased.")]})
    errors: dict[str, list[str]] = {}
    if doctor_member.team_id != team.pk:
        errors["doctor"] = [_("The family doctor must be on the team.")]
    if consent_method not in ConsentMethod.values:
        errors["consent_method"] = [_("Say how the resident consented.")]
    consent_by = clean(consent_by, 40)
    if not consent_by:
        errors["consent_by"] = [_("Give the name of who signed (the resident or a guardian).")]
    if not 1 <= months <= 36:
        errors["months"] = [_("A contract runs between 1 and 36 months.")]
    if starts_on < today - datetime.timedelta(days=31) and renews is None:
        errors["starts_on"] = [_("A contract cannot start more than a month back.")]
    if errors:
        raise ValidationError(errors)
    packages = _check_packages(packages)
    ends_on = add_months(starts_on, months) - datetime.timedelta(days=1)
    with transaction.atomic():
        _expire_lapsed(patient, today)
        current = (
            Contract.objects.select_for_update()
            .filter(patient=patient, status=ContractStatus.ACTIVE)
            .exclude(pk=getattr(renews, "pk", None))
            .select_related("team")
            .first()
        )
        if current is not None:
            raise ValidationError(
                {
                    "patient": [
                        _(
                            "%(name)s already has an active contract with %(team)s until "
                            "%(end)s: renew or terminate it first."
                        )
                        % {"name": patient.name, "team": current.team.name, "end": current.ends_on}
                    ]
                }
            )
        if renews is not None:
            renews.status = (
                ContractStatus.RENEWED if renews.ends_on >= today else ContractStatus.EXPIRED
            )
            renews.save(update_fields=["status", "updated_at"])
        try:
            with transaction.atomic():
                contract = Contract.objects.create(
                    patient=patient,
                    team=team,
                    doctor=doctor_member.practitioner,
                    village=resident_village(patient, team),
                    fee_total=sum((p.fee for p in packages), start=0),
                    starts_on=starts_on,
                    ends_on=ends_on,
                    consent_method=consent_method,
                    consent_by=consent_by,
                    signed_by=actor,
                    renews=renews,
                )
        except IntegrityError as exc:
            raise Conflict(_("Another contract for this resident was signed just now.")) from exc
        ContractPackage.objects.bulk_create(
            ContractPackage(contract=contract, package=p, fee=p.fee) for p in packages
        )
        _open_care(contract)
        audit.record(
            "primarycare.contract.renew" if renews else "primarycare.contract.sign",
            actor=actor,
            target=contract,
            institution=site,
            after={
                "patient": str(patient.external_id),
                "team": team.name,
                "packages": [p.code for p in packages],
                "fee": contract.fee_total,
                "period": [starts_on, ends_on],
                "consent": consent_method,
                "renews": str(renews.external_id) if renews else None,
            },
        )
        if renews is not None:
            FollowUpPlan.objects.filter(contract=renews, status=Status.IN_PROGRESS).update(
                contract=contract
            )
        refresh_key_populations(patient, actor=actor)
        open_programmes(contract, actor=actor, site=site)
    return contract


def do_renew_contract(
    *,
    actor: Any,
    contract: Contract,
    consent_method: str,
    consent_by: str,
    packages: Sequence[ServicePackage] | None = None,
) -> Contract:
    """Renew for another period from the day after the old one ends (续约); from
    RENEW_FROM_DAYS_BEFORE_END days before its end, or after it lapsed."""
    today = timezone.localdate()
    if contract.status == ContractStatus.TERMINATED:
        raise ActionError(_("A terminated contract cannot be renewed: sign a new one."))
    if contract.status == ContractStatus.RENEWED:
        raise ActionError(_("This contract has already been renewed."))
    if contract.ends_on - today > datetime.timedelta(days=RENEW_FROM_DAYS_BEFORE_END):
        raise ActionError(
            _("A contract is renewed from %(days)d days before it ends (on %(end)s).")
            % {"days": RENEW_FROM_DAYS_BEFORE_END, "end": contract.ends_on}
        )
    starts_on = max(contract.ends_on + datetime.timedelta(days=1), today)
    member = (
        TeamMember.objects.filter(team=contract.team, practitioner=contract.doctor).first()
        or TeamMember.objects.filter(team=contract.team, role="lead").first()
    )
    if member is None:
        raise ActionError(_("The team has no family doctor to renew with."))
    return do_sign_contract(
        actor=actor,
        patient=contract.patient,
        team=contract.team,
        doctor_member=member,
        packages=packages if packages is not None else list(contract.packages.all()),
        consent_method=consent_method,
        consent_by=consent_by,
        starts_on=starts_on,
        renews=contract,
    )


def do_terminate_contract(
    *, actor: Any, contract: Contract, reason: str, note: str = "", on: datetime.date | None = None
) -> Contract:
    """End a contract early with a reason (解约); its chronic follow-up plans are cancelled (a
    down-referral's care plan continues: it belongs to the referral)."""
    site, _member = acting_site(actor, contract.team)
    on = on or timezone.localdate()
    if reason not in TerminationReason.values:
        raise ValidationError({"reason": [_("Choose a reason for ending the contract.")]})
    note = clean(note)
    if reason == TerminationReason.OTHER and not note:
        raise ValidationError({"note": [_("Say why the contract ends.")]})
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.RENEWED):
        raise ActionError(
            _("This contract is %(status)s already.") % {"status": contract.get_status_display()}
        )
    if on < contract.starts_on or on > contract.ends_on:
        raise ValidationError({"on": [_("The end date lies outside the contract's period.")]})
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.status != contract.status:
            raise Conflict(_("Someone else changed this contract meanwhile; reload it."))
        locked.status = ContractStatus.TERMINATED
        locked.terminated_on = on
        locked.termination_reason = reason
        locked.termination_note = note
        locked.save(
            update_fields=[
                "status",
                "terminated_on",
                "termination_reason",
                "termination_note",
                "updated_at",
            ]
        )
        CareRelationship.objects.filter(
            source_type=locked._meta.label_lower, source_id=str(locked.external_id)
        ).update(ends_at=timezone.now())
        audit.record(
            "primarycare.contract.terminate",
            actor=actor,
            target=locked,
            institution=site,
            after={"reason": reason, "note": note, "on": on},
        )
        plans = FollowUpPlan.objects.filter(contract=locked, status=Status.IN_PROGRESS)
        for plan in plans.exclude(programme=CARE_PLAN):
            close_plan(
                plan,
                "cancel",
                actor=actor,
                reason=_("Contract ended: %(r)s") % {"r": locked.get_termination_reason_display()},
            )
    contract.refresh_from_db()
    return contract


def refresh_key_populations(patient: Patient, *, actor: Any) -> list[str]:
    """Record the disease-based key populations the resident's diagnoses put them in (the
    referral diagnoses the network holds); returns every current population, age-based ones
    (from the registry's birth date) included."""
    from lianxin.referrals.models import Referral

    today = timezone.localdate()
    have = set(
        KeyPopulation.objects.current().filter(patient=patient).values_list("population", flat=True)
    )
    codes = (
        Referral.objects.filter(patient=patient)
        .exclude(diagnosis_code="")
        .values_list("diagnosis_code", "created_at")
    )
    new: dict[str, tuple[str, datetime.date]] = {}
    for code, at in codes:
        population = population_for_code(code)
        if population and population not in have and population not in new:
            new[population] = (code, timezone.localdate(at))
    KeyPopulation.objects.bulk_create(
        KeyPopulation(
            patient=patient,
            population=population,
            source=PopulationSource.DIAGNOSIS,
            diagnosis_code=code,
            since=since,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for population, (code, since) in new.items()
    )
    return sorted(have | set(new) | set(age_populations(patient.birth_date, today)))


def do_record_key_population(
    *,
    actor: Any,
    contract: Contract,
    population: str,
    diagnosis_code: str = "",
    since: datetime.date | None = None,
) -> KeyPopulation:
    """The team records a diagnosis or condition (e.g. newly found hypertension); a programme
    with follow-ups opens its plan. A pregnancy is recorded with the first day of the last
    menstrual period as ``since``: its visits are reckoned from it."""
    site, _member = acting_site(actor, contract.team)
    since_given = since is not None
    since = since or timezone.localdate()
    if population not in Population.values or POPULATION_RULES[population].ages:
        raise ValidationError(
            {"population": [_("Age groups come from the birth date; choose a condition.")]}
        )
    code = clean(diagnosis_code, 20).upper()
    if code and population_for_code(code) not in (None, population):
        raise ValidationError({"diagnosis_code": [_("This code belongs to another condition.")]})
    if since > timezone.localdate():
        raise ValidationError({"since": [_("The date cannot be in the future.")]})
    if population == Population.PREGNANT:
        _check_pregnancy(contract.patient, since, given=since_given)
    if not contract.is_active:
        raise ActionError(_("Conditions are recorded on an active contract."))
    with transaction.atomic():
        row, created = KeyPopulation.objects.get_or_create(
            patient=contract.patient,
            population=population,
            ended_on=None,
            defaults={
                "source": PopulationSource.DIAGNOSIS if code else PopulationSource.RECORDED,
                "diagnosis_code": code,
                "since": since,
                "recorded_by": actor,
            },
        )
        if not created:
            raise ValidationError(
                {"population": [_("The resident is already recorded in this population.")]}
            )
        audit.record(
            "primarycare.key_population.record",
            actor=actor,
            target=contract.patient,
            institution=site,
            after={"population": population, "code": code, "since": since},
        )
        open_programmes(contract, actor=actor, site=site)
    return row


def _check_pregnancy(patient: Patient, last_period: datetime.date, *, given: bool) -> None:
    if patient.sex != "2":
        raise ValidationError({"population": [_("Only a woman is recorded as pregnant.")]})
    if not given:
        raise ValidationError({"since": [_("Give the first day of the last menstrual period.")]})
    longest = SCHEDULES[Population.PREGNANT][-1].due
    if (timezone.localdate() - last_period).days > longest:
        raise ValidationError(
            {
                "since": [
                    _("A last menstrual period over %(days)d days ago ends the pregnancy care.")
                    % {"days": longest}
                ]
            }
        )


def open_programmes(contract: Contract, *, actor: Any, site: int, populations: Iterable[str] = ()):
    """Open a follow-up plan for every programme the resident is in and has none open for."""
    today = timezone.localdate()
    patient = contract.patient
    current = set(populations) or set(refresh_key_populations(patient, actor=actor))
    open_now = set(
        FollowUpPlan.objects.filter(patient=patient, status=Status.IN_PROGRESS).values_list(
            "programme", flat=True
        )
    )
    for population in sorted(current):
        if population in open_now:
            continue
        if population in SCHEDULES:
            _open_schedule(contract, population, actor=actor, site=site, today=today)
            continue
        rule = POPULATION_RULES.get(population)
        if rule is None or not rule.visits_per_year:
            continue
        open_plan(
            contract=contract,
            programme=population,
            next_due_on=max(today, contract.starts_on) + datetime.timedelta(days=14),
            actor=actor,
            site=site,
        )


def _open_schedule(contract: Contract, programme: str, *, actor: Any, site: int, today) -> None:
    """A child's check-ups from the birth date, a pregnancy's visits from the last menstrual
    period (rules.SCHEDULES), from the first visit still ahead."""
    patient = contract.patient
    if programme == Population.CHILD:
        anchor = patient.birth_date
    else:
        anchor = (
            KeyPopulation.objects.current()
            .filter(patient=patient, population=programme)
            .values_list("since", flat=True)
            .first()
        )
        if anchor is None:
            return
    step = assess.first_step(programme, anchor, max(today, contract.starts_on))
    due = assess.scheduled_due(programme, anchor, step)
    if due is None:
        return
    open_plan(
        contract=contract,
        programme=programme,
        next_due_on=due,
        anchor_on=anchor,
        step=step,
        actor=actor,
        site=site,
    )
