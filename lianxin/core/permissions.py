"""Roles and permissions as code.

Roles are granted per institution membership (``workforce.Membership``); each role maps to a set of
permissions. Code asks ``access.has_perm(Perm.X, institution)``, never a role by name, so that the
mapping below is the one place to read who may do what.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    NURSE = "nurse", _("Nurse")
    CENTRE_STAFF = "centre_staff", _("Shared-centre staff")
    STERILE_STAFF = "sterile_staff", _("Sterile supply centre staff")
    OUTREACH_OFFICER = "outreach_officer", _("Outreach office")
    EMERGENCY_DESK = "emergency_desk", _("Emergency desk")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    INSTITUTION_ADMIN = "institution_admin", _("Institution administrator")
    NETWORK_ADMIN = "network_admin", _("Network administrator")
    COMMISSION = "commission", _("Health commission")
    MPI_ADMIN = "mpi_admin", _("Patient index administrator")


class Perm(StrEnum):
    VIEW_REGISTRY = "view_registry"
    MANAGE_INSTITUTION = "manage_institution"
    MANAGE_NETWORK = "manage_network"
    MANAGE_WORKFORCE = "manage_workforce"
    VIEW_PATIENT = "view_patient"
    REGISTER_PATIENT = "register_patient"
    EDIT_PATIENT = "edit_patient"
    BREAK_GLASS = "break_glass"
    IMPORT_DATA = "import_data"
    VIEW_AUDIT = "view_audit"
    VIEW_AGGREGATES = "view_aggregates"
    REQUEST_SERVICE = "request_service"  # refer, order an exam, invite a consultation
    PERFORM_SERVICE = "perform_service"  # accept a referral, read a study, give an opinion
    SIGN_REPORT = "sign_report"
    MANAGE_OUTREACH = "manage_outreach"
    EMERGENCY_ROUTING = "emergency_routing"
    ESCALATION_TARGET = "escalation_target"
    MANAGE_SLOTS = "manage_slots"  # publish and withdraw slots reserved for referrals
    FAMILY_DOCTOR = "family_doctor"  # sign family-doctor contracts, record follow-ups (on a team)
    MANAGE_PATIENT_INDEX = "manage_patient_index"  # review likely duplicates, merge and unmerge
    PROCESS_STERILE = "process_sterile"  # scan packs through the centre, run loads, issue
    RELEASE_STERILE = "release_sterile"  # release loads, read indicators, open recalls
    USE_STERILE = "use_sterile"  # a branch requests, receives, uses and returns packs
    IMPORT_FEEDS = "import_feeds"  # encounters, settlements, population … for the indicators
    MANAGE_INDICATORS = "manage_indicators"  # judge qualitative evidence, set targets


_CLINICAL = {
    Perm.VIEW_REGISTRY,
    Perm.VIEW_PATIENT,
    Perm.REGISTER_PATIENT,
    Perm.EDIT_PATIENT,
    Perm.BREAK_GLASS,
    Perm.REQUEST_SERVICE,
    Perm.PERFORM_SERVICE,
    Perm.SIGN_REPORT,
    Perm.FAMILY_DOCTOR,
    Perm.USE_STERILE,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.CLINICIAN: frozenset(_CLINICAL),
    Role.NURSE: frozenset(
        {
            Perm.VIEW_REGISTRY,
            Perm.VIEW_PATIENT,
            Perm.REGISTER_PATIENT,
            Perm.EDIT_PATIENT,
            Perm.FAMILY_DOCTOR,
            Perm.USE_STERILE,
        }
    ),
    Role.CENTRE_STAFF: frozenset(
        {Perm.VIEW_REGISTRY, Perm.VIEW_PATIENT, Perm.PERFORM_SERVICE, Perm.SIGN_REPORT}
    ),
    # The sterile-supply centre opens no patient record: a recall lists the patients its packs
    # were used on (an audited read of the recall, not of the records).
    Role.STERILE_STAFF: frozenset(
        {
            Perm.VIEW_REGISTRY,
            Perm.PROCESS_STERILE,
            Perm.RELEASE_STERILE,
            Perm.USE_STERILE,
        }
    ),
    Role.OUTREACH_OFFICER: frozenset(
        {Perm.VIEW_REGISTRY, Perm.MANAGE_OUTREACH, Perm.MANAGE_WORKFORCE, Perm.VIEW_AGGREGATES}
    ),
    Role.EMERGENCY_DESK: frozenset(
        {Perm.VIEW_REGISTRY, Perm.VIEW_PATIENT, Perm.REGISTER_PATIENT, Perm.EMERGENCY_ROUTING}
    ),
    Role.DEPARTMENT_HEAD: frozenset(
        _CLINICAL | {Perm.ESCALATION_TARGET, Perm.VIEW_AGGREGATES, Perm.MANAGE_SLOTS}
    ),
    Role.DUTY_OFFICER: frozenset(
        {Perm.VIEW_REGISTRY, Perm.VIEW_PATIENT, Perm.ESCALATION_TARGET, Perm.VIEW_AGGREGATES}
    ),
    Role.INSTITUTION_ADMIN: frozenset(
        {
            Perm.VIEW_REGISTRY,
            Perm.MANAGE_INSTITUTION,
            Perm.MANAGE_WORKFORCE,
            Perm.IMPORT_DATA,
            Perm.VIEW_AUDIT,
            Perm.VIEW_AGGREGATES,
            Perm.REGISTER_PATIENT,
            Perm.MANAGE_SLOTS,
            Perm.IMPORT_FEEDS,
        }
    ),
    Role.NETWORK_ADMIN: frozenset(
        {
            Perm.VIEW_REGISTRY,
            Perm.MANAGE_INSTITUTION,
            Perm.MANAGE_NETWORK,
            Perm.MANAGE_WORKFORCE,
            Perm.IMPORT_DATA,
            Perm.VIEW_AUDIT,
            Perm.VIEW_AGGREGATES,
            Perm.IMPORT_FEEDS,
        }
    ),
    # The master patient index's administrators (主索引管理员): they read the patients of their
    # communities to compare likely duplicates, and merge or unmerge them.
    Role.MPI_ADMIN: frozenset(
        {Perm.VIEW_REGISTRY, Perm.VIEW_PATIENT, Perm.MANAGE_PATIENT_INDEX, Perm.VIEW_AUDIT}
    ),
    # The health commission reads aggregates and the registry, never a patient row; it imports
    # the feeds it holds (population, deaths) and judges the indicators' evidence.
    Role.COMMISSION: frozenset(
        {Perm.VIEW_REGISTRY, Perm.VIEW_AGGREGATES, Perm.IMPORT_FEEDS, Perm.MANAGE_INDICATORS}
    ),
}


def permissions_for(role: str) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role, frozenset())
