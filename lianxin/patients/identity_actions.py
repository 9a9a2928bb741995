"""Identity management actions: unidentified patients, merge and unmerge, the duplicate queue.

Each action runs in one transaction with its audit row. A merge moves every row of every app that
points at the merged patient (``references.patient_references``) and records what it moved, so
that an unmerge can put back exactly that.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import Access, access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.patients.actions import _add_identifier
from lianxin.patients.matching import Candidate
from lianxin.patients.models import (
    ArrivalPlace,
    CandidateSource,
    CandidateStatus,
    DuplicateCandidate,
    MergeStatus,
    Patient,
    PatientMerge,
    Sex,
    UnidentifiedArrival,
)
from lianxin.patients.references import patient_references, reference_by_label
from lianxin.patients.rules import ESTIMATED_AGE_MAX, UNIDENTIFIED_NAME

PHOTO_MAX_BYTES = 5 * 1024 * 1024
FILLED_FIELDS = ("id_number", "phone", "address")


def do_register_unidentified_patient(
    *,
    actor: Any,
    institution: Institution,
    sex: str,
    estimated_age: int | None,
    place: str = ArrivalPlace.EMERGENCY_DESK,
    arrived_at: datetime.datetime | None = None,
    description: str = "",
    photo: Any | None = None,
) -> Patient:
    """Register a person who cannot be identified (无名氏) in one step; usable at once.

    The temporary identity carries a numbered name, the sex seen, a birth date estimated from the
    apparent age, and the arrival (time, place, description, photo); the institution's record
    number is generated as for any registration.
    """
    if not access_for(actor).has_perm(Perm.REGISTER_PATIENT, institution):
        raise NotAllowed(_("You may not register patients at %(inst)s.") % {"inst": institution})
    errors: dict[str, list[str]] = {}
    if sex not in Sex.values:
        errors["sex"] = [_("Choose a sex from the list.")]
    if estimated_age is None or not 0 <= estimated_age <= ESTIMATED_AGE_MAX:
        errors["estimated_age"] = [
            _("Give the apparent age in years (0 to %(max)d).") % {"max": ESTIMATED_AGE_MAX}
        ]
    if place not in ArrivalPlace.values:
        errors["place"] = [_("Choose where the patient arrived from the list.")]
    now = timezone.now()
    arrived_at = arrived_at or now
    if arrived_at > now + datetime.timedelta(minutes=5):
        errors["arrived_at"] = [_("The arrival time is in the future.")]
    if photo is not None:
        content_type = getattr(photo, "content_type", "") or ""
        if not content_type.startswith("image/"):
            errors["photo"] = [_("The photo must be an image (JPEG or PNG).")]
        elif photo.size > PHOTO_MAX_BYTES:
            errors["photo"] = [_("The photo is larger than 5 MB.")]
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    try:
        birth = today.replace(year=today.year - estimated_age)
    except ValueError:  # 29 February
        birth = today.replace(year=today.year - estimated_age, day=28)
    with transaction.atomic():
        number = (
            UnidentifiedArrival.objects.filter(
                institution=institution, arrived_at__date=timezone.localtime(arrived_at).date()
            ).count()
            + 1
        )
        name = f"{UNIDENTIFIED_NAME}{timezone.localtime(arrived_at):%m%d}-{number:02d}"
        patient = Patient.objects.create(
            name=name,
            name_initials="WMS",
            sex=sex,
            birth_date=birth,
            birth_date_estimated=True,
            is_unidentified=True,
        )
        identifier = _add_identifier(patient, institution, None)
        arrival = UnidentifiedArrival(
            patient=patient,
            institution=institution,
            arrived_at=arrived_at,
            place=place,
            estimated_age=estimated_age,
            description=" ".join((description or "").split())[:2000],
            registered_by=actor,
        )
        if photo is not None:
            arrival.photo.save(getattr(photo, "name", "photo.jpg"), photo, save=False)
        arrival.save()
        audit.record(
            "patient.register_unidentified",
            actor=actor,
            target=patient,
            institution=institution,
            after={
                "name": name,
                "sex": sex,
                "estimated_age": estimated_age,
                "place": place,
                "arrived_at": arrived_at,
                "mrn": identifier.value if identifier else None,
                "photo": bool(photo),
            },
        )
    return patient


# --- who may merge ---------------------------------------------------------------------------


def _index_institutions(access: Access) -> set[int]:
    """The institutions whose patient index this user keeps: where they hold the MPI role and
    the village clinics those supervise (乡村一体化)."""
    own = set(access.institutions_with(Perm.MANAGE_PATIENT_INDEX))
    if own:
        own |= set(Institution.objects.filter(parent_id__in=own).values_list("pk", flat=True))
    return own


def _registered_at(patient: Patient) -> set[int]:
    return set(patient.identifiers.values_list("institution_id", flat=True))


def covers(actor: Any, patient: Patient) -> bool:
    """Whether the actor keeps the index of an institution that registered the patient."""
    access = access_for(actor)
    if access.is_superuser:
        return True
    return bool(_index_institutions(access) & _registered_at(patient))


def _check_pair(actor: Any, source: Patient, target: Patient) -> None:
    """The rules every merge (or proposal) must pass; raises before anything changes."""
    access = access_for(actor)
    if not access.has_perm(Perm.MANAGE_PATIENT_INDEX):
        raise NotAllowed(_("Only the patient index's administrators merge patients."))
    if source.pk == target.pk:
        raise ValidationError({"target": _("A patient cannot be merged into itself.")})
    # A merged record is seen through its survivor (it keeps no records of its own).
    wanted = {source.survivor().pk, target.survivor().pk}
    if Patient.objects.visible_to(actor).filter(pk__in=wanted).count() != len(wanted):
        raise NotAllowed(_("You can see only one of these patients; neither was changed."))
    if source.merged_into_id is not None:
        raise ValidationError(
            {
                "source": _("%(name)s has already been merged into another record.")
                % {"name": source}
            }
        )
    if target.merged_into_id is not None:
        raise ValidationError(
            {
                "target": _(
                    "%(name)s has been merged into another record; merge into that one instead."
                )
                % {"name": target}
            }
        )


def _acting_institution(actor: Any, patients: Iterable[Patient]) -> Institution:
    access = access_for(actor)
    mine = _index_institutions(access)
    ids = sorted(mine & set().union(*(_registered_at(p) for p in patients))) or sorted(
        access.institutions_with(Perm.MANAGE_PATIENT_INDEX)
    )
    institution = Institution.objects.filter(pk__in=ids).order_by("pk").first()
    if institution is None:
        institution = Institution.objects.order_by("pk").first()
    return institution


def _index_keepers(patient: Patient) -> list[int]:
    """The institutions whose MPI administrators may confirm for this patient's side."""
    registered = _registered_at(patient)
    parents = Institution.objects.filter(pk__in=registered, parent__isnull=False).values_list(
        "parent_id", flat=True
    )
    return sorted(registered | set(parents))


# --- merge -----------------------------------------------------------------------------------


def _lock_pair(source: Patient, target: Patient) -> tuple[Patient, Patient]:
    locked = {
        p.pk: p
        for p in Patient.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    return locked[source.pk], locked[target.pk]


def _json_key(pk: Any) -> Any:
    return pk if isinstance(pk, int | str) else str(pk)


def _move_references(source: Patient, target: Patient) -> tuple[list[dict], list[dict]]:
    moved: list[dict] = []
    kept: list[dict] = []
    for ref in patient_references():
        manager = ref.model._base_manager
        old, new = ref.value_of(source), ref.value_of(target)
        pks = list(manager.filter(**{ref.field: old}).order_by("pk").values_list("pk", flat=True))
        if not pks:
            continue
        done: list[Any] = []
        left: list[Any] = []
        try:
            with transaction.atomic():
                manager.filter(pk__in=pks).update(**{ref.field: new})
            done = pks
        except IntegrityError:
            # One row clashes with the survivor's own (the same institution's record number):
            # move the others one by one and leave that one on the merged record.
            for pk in pks:
                try:
                    with transaction.atomic():
                        manager.filter(pk=pk).update(**{ref.field: new})
                    done.append(pk)
                except IntegrityError:
                    left.append(pk)
        if done:
            moved.append({"ref": ref.label, "pks": [_json_key(pk) for pk in done]})
        if left:
            kept.append({"ref": ref.label, "pks": [_json_key(pk) for pk in left]})
    return moved, kept


def _fill_from_source(source: Patient, target: Patient) -> dict[str, Any]:
    """What the survivor lacks and the merged record knows (ID number, phone, address) moves to
    the survivor; recorded so that an unmerge can give it back."""
    filled: dict[str, Any] = {}
    for name in FILLED_FIELDS:
        value = getattr(source, name)
        if value and not getattr(target, name):
            filled[name] = value
    if "id_number" in filled:
        source.id_number = None  # unique: free it before the survivor takes it
        source.save(update_fields=["id_number", "updated_at"])
    for name, value in filled.items():
        setattr(target, name, value)
    if filled:
        target.save(update_fields=[*filled, "updated_at"])
    return filled


def _complete(merge: PatientMerge, actor: Any) -> PatientMerge:
    source, target = _lock_pair(merge.source, merge.target)
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise ValidationError(
            _("One of these patients has been merged since; the merge was not made.")
        )
    moved, kept = _move_references(source, target)
    filled = _fill_from_source(source, target)
    now = timezone.now()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    UnidentifiedArrival.objects.filter(patient=target, resolved_at__isnull=True).update(
        resolved_at=now
    )
    merge.status = MergeStatus.COMPLETED
    merge.merged_at = now
    merge.moved, merge.kept, merge.filled = moved, kept, filled
    merge.save()
    DuplicateCandidate.objects.filter(
        first_id=min(source.pk, target.pk), second_id=max(source.pk, target.pk)
    ).update(status=CandidateStatus.MERGED, reviewed_by=actor, reviewed_at=now)
    counts = {item["ref"]: len(item["pks"]) for item in moved}
    for row, role in ((target, "patient.merge"), (source, "patient.merged_into")):
        audit.record(
            role,
            actor=actor,
            target=row,
            institution=merge.proposed_for,
            after={
                "merge": str(merge.external_id),
                "source": str(source.external_id),
                "target": str(target.external_id),
                "moved": counts,
                "kept": {item["ref"]: len(item["pks"]) for item in kept},
                "filled": sorted(filled),
            },
        )
    return merge


def do_merge_patients(
    *, actor: Any, source: Patient, target: Patient, reason: str = ""
) -> PatientMerge:
    """Merge ``source`` into ``target`` (the survivor), or propose it across institutions.

    When the actor keeps the index of both patients' institutions the merge is made at once.
    When one patient is on another institution's side, the merge is proposed and waits for that
    side's MPI administrator (``do_confirm_merge``). Nothing changes on any error.
    """
    _check_pair(actor, source, target)
    mine_source, mine_target = covers(actor, source), covers(actor, target)
    if not (mine_source or mine_target):
        raise NotAllowed(_("Neither patient is registered at an institution whose index you keep."))
    with transaction.atomic():
        source, target = _lock_pair(source, target)
        _check_pair(actor, source, target)
        pending = PatientMerge.objects.filter(
            status=MergeStatus.PROPOSED,
            source__in=[source, target],
        ) | PatientMerge.objects.filter(status=MergeStatus.PROPOSED, target=source)
        if pending.exists():
            raise ValidationError(_("A merge of this patient is already waiting for confirmation."))
        institution = _acting_institution(actor, [source, target])
        other_side = (
            [] if mine_source and mine_target else _index_keepers(target if mine_source else source)
        )
        merge = PatientMerge.objects.create(
            source=source,
            target=target,
            reason=" ".join((reason or "").split()),
            proposed_by=actor,
            proposed_for=institution,
            confirming_institutions=other_side,
        )
        if other_side:
            audit.record(
                "patient.merge.propose",
                actor=actor,
                target=target,
                institution=institution,
                after={
                    "merge": str(merge.external_id),
                    "source": str(source.external_id),
                    "target": str(target.external_id),
                    "reason": merge.reason,
                },
            )
            return merge
        return _complete(merge, actor)


def may_decide(actor: Any, merge: PatientMerge) -> bool:
    access = access_for(actor)
    if access.is_superuser:
        return True
    return bool(_index_institutions(access) & set(merge.confirming_institutions))


def do_confirm_merge(*, actor: Any, merge: PatientMerge) -> PatientMerge:
    """The other side's MPI administrator confirms a proposed cross-institution merge."""
    with transaction.atomic():
        merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.status != MergeStatus.PROPOSED:
            raise ValidationError(_("This merge is no longer waiting for confirmation."))
        if not may_decide(actor, merge):
            raise NotAllowed(
                _("A merge is confirmed by the other institution's patient index administrator.")
            )
        if merge.proposed_by_id == getattr(actor, "pk", None):
            raise NotAllowed(_("The person who proposed a merge cannot confirm it."))
        _check_pair(actor, merge.source, merge.target)
        merge.decided_by = actor
        merge.decided_at = timezone.now()
        return _complete(merge, actor)


def do_reject_merge(*, actor: Any, merge: PatientMerge, reason: str = "") -> PatientMerge:
    """The other side declines a proposed merge; nothing moves."""
    with transaction.atomic():
        merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.status != MergeStatus.PROPOSED:
            raise ValidationError(_("This merge is no longer waiting for confirmation."))
        if not (may_decide(actor, merge) or merge.proposed_by_id == getattr(actor, "pk", None)):
            raise NotAllowed(_("Only the two sides of a proposed merge may decline it."))
        merge.status = MergeStatus.REJECTED
        merge.decided_by = actor
        merge.decided_at = timezone.now()
        merge.save()
        audit.record(
            "patient.merge.reject",
            actor=actor,
            target=merge.target,
            institution=merge.proposed_for,
            after={"merge": str(merge.external_id), "reason": " ".join((reason or "").split())},
        )
    return merge


def unmerge_blockers(merge: PatientMerge) -> list[str]:
    """Why this merge cannot be undone now (empty when it can)."""
    if merge.status != MergeStatus.COMPLETED:
        return [_("Only a completed merge can be undone.")]
    target = Patient.objects.get(pk=merge.target_id)
    if target.merged_into_id is not None:
        return [
            _("The surviving record has since been merged into another; undo that merge first.")
        ]
    return []


def do_unmerge_patients(*, actor: Any, merge: PatientMerge, reason: str = "") -> PatientMerge:
    """Undo a merge: every row it moved goes back to the merged record, which is active again."""
    if not access_for(actor).has_perm(Perm.MANAGE_PATIENT_INDEX):
        raise NotAllowed(_("Only the patient index's administrators merge patients."))
    with transaction.atomic():
        merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
        problems = unmerge_blockers(merge)
        if problems:
            raise ValidationError(problems)
        source, target = _lock_pair(merge.source, merge.target)
        if not (covers(actor, target) or covers(actor, source)):
            raise NotAllowed(_("You do not keep the index of these patients' institutions."))
        if not Patient.objects.visible_to(actor).filter(pk=target.pk).exists():
            raise NotAllowed(_("You cannot see the surviving patient."))
        restored: dict[str, int] = {}
        for item in merge.moved:
            ref = reference_by_label(item["ref"])
            if ref is None:
                raise ValidationError(
                    _("The records of %(ref)s can no longer be found; nothing was changed.")
                    % {"ref": item["ref"]}
                )
            count = ref.model._base_manager.filter(
                pk__in=item["pks"], **{ref.field: ref.value_of(target)}
            ).update(**{ref.field: ref.value_of(source)})
            restored[item["ref"]] = count
        for name, value in merge.filled.items():
            if getattr(target, name) == value:
                setattr(target, name, "" if name != "id_number" else None)
        if merge.filled:
            target.save(update_fields=[*merge.filled, "updated_at"])
        for name, value in merge.filled.items():
            setattr(source, name, value)
        source.merged_into = None
        source.save(update_fields=[*merge.filled, "merged_into", "updated_at"])
        now = timezone.now()
        merge.status = MergeStatus.UNDONE
        merge.undone_by = actor
        merge.undone_at = now
        merge.save()
        DuplicateCandidate.objects.filter(
            first_id=min(source.pk, target.pk), second_id=max(source.pk, target.pk)
        ).update(status=CandidateStatus.DISMISSED, reviewed_by=actor, reviewed_at=now)
        for row in (target, source):
            audit.record(
                "patient.unmerge",
                actor=actor,
                target=row,
                institution=merge.proposed_for,
                after={
                    "merge": str(merge.external_id),
                    "restored": restored,
                    "reason": " ".join((reason or "").split()),
                },
            )
    return merge


# --- the review queue ------------------------------------------------------------------------


def queue_candidates(
    pairs: Iterable[tuple[int, int, float, float, list[dict[str, Any]]]], source: str
) -> int:
    """Put pairs ``(pk, pk, weight, probability, evidence)`` on the review queue; a pair already
    there keeps its status and gets the newer score. Returns how many were new."""
    created = 0
    with transaction.atomic():
        for a, b, weight, prob, evidence in pairs:
            if a == b:
                continue
            first, second = min(a, b), max(a, b)
            _row, new = DuplicateCandidate.objects.update_or_create(
                first_id=first,
                second_id=second,
                defaults={
                    "score": round(weight, 3),
                    "probability": prob,
                    "evidence": evidence,
                },
                create_defaults={
                    "score": round(weight, 3),
                    "probability": prob,
                    "evidence": evidence,
                    "source": source,
                },
            )
            created += int(new)
    return created


def queue_registration_candidates(
    patient: Patient, candidates: Iterable[Candidate], source: str = CandidateSource.REGISTRATION
) -> int:
    """A person registered as new although possible matches were shown: the pairs go to the
    MPI administrators' queue."""
    return queue_candidates(
        (
            (patient.pk, c.patient.pk, c.weight, c.probability, [e.as_dict() for e in c.evidence])
            for c in candidates
        ),
        source,
    )


def do_dismiss_candidate(*, actor: Any, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """An MPI administrator decides that a likely duplicate is two people."""
    if not access_for(actor).has_perm(Perm.MANAGE_PATIENT_INDEX):
        raise NotAllowed(_("Only the patient index's administrators review duplicates."))
    visible = Patient.objects.visible_to(actor).filter(
        pk__in=[candidate.first_id, candidate.second_id]
    )
    if visible.count() != 2:
        raise NotAllowed(_("You can see only one of these patients."))
    with transaction.atomic():
        candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status != CandidateStatus.OPEN:
            raise ValidationError(_("This pair has already been reviewed."))
        candidate.status = CandidateStatus.DISMISSED
        candidate.reviewed_by = actor
        candidate.reviewed_at = timezone.now()
        candidate.save()
        audit.record(
            "patient.duplicate.dismiss",
            actor=actor,
            target=candidate.first,
            institution=_acting_institution(actor, [candidate.first, candidate.second]),
            after={
                "first": str(candidate.first.external_id),
                "second": str(candidate.second.external_id),
                "score": candidate.score,
            },
        )
    return candidate
