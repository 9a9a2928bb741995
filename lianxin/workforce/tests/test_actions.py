import pytest
from django.core.exceptions import ValidationError

from lianxin.core.access import access_for
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.models import AuditEvent, User
from lianxin.core.permissions import Perm
from lianxin.network.models import Capability
from lianxin.testing.factories import DepartmentFactory, PractitionerFactory
from lianxin.workforce.actions import (
    do_create_practitioner,
    do_create_user_account,
    do_grant_credential,
    do_grant_membership,
    do_revoke_credential,
    do_revoke_membership,
    do_update_practitioner,
)
from lianxin.workforce.models import Membership

pytestmark = pytest.mark.django_db


def test_an_institution_admin_registers_a_practitioner_with_specialties(personas):
    doc = do_create_practitioner(
        actor=personas.admin,
        institution=personas.township_a,
        name="李医生",
        title="attending",
        licence_number="110350000000001",
        department=personas.department_a,
        specialties=["02", "03.04"],
    )
    assert set(doc.specialties.values_list("code", flat=True)) == {"02", "03.04"}
    event = AuditEvent.objects.get(action="practitioner.create")
    assert event.after["specialties"] == ["02", "03.04"]


def test_a_duplicate_licence_and_a_foreign_department_are_field_errors(personas):
    PractitionerFactory(licence_number="L-1", institution=personas.township_a)
    with pytest.raises(ValidationError) as caught:
        do_create_practitioner(
            actor=personas.admin,
            institution=personas.township_a,
            name="x",
            title="chief",
            licence_number="L-1",
            department=DepartmentFactory(institution=personas.county_a),
            specialties=["99.99"],
        )
    assert set(caught.value.message_dict) == {"licence_number", "department", "specialties"}


def test_a_clinician_cannot_register_practitioners(personas):
    with pytest.raises(NotAllowed):
        do_create_practitioner(
            actor=personas.doctor, institution=personas.township_a, name="x", title="resident"
        )
    with pytest.raises(NotAllowed):
        do_create_practitioner(
            actor=personas.admin, institution=personas.county_a, name="x", title="resident"
        )


def test_a_practitioner_is_promoted_with_an_audit_row(personas):
    doc = PractitionerFactory(institution=personas.township_a, title="resident")
    do_update_practitioner(actor=personas.admin, practitioner=doc, title="attending")
    doc.refresh_from_db()
    assert doc.title == "attending"
    event = AuditEvent.objects.get(action="practitioner.update")
    assert event.before == {"title": "resident"}


def test_credentials_are_granted_once_and_revoked_with_a_reason(personas):
    doc = PractitionerFactory(institution=personas.township_a)
    pci = Capability.objects.get(code="thrombolysis_stemi")
    credential = do_grant_credential(actor=personas.admin, practitioner=doc, capability=pci)
    with pytest.raises(Conflict):
        do_grant_credential(actor=personas.admin, practitioner=doc, capability=pci)
    with pytest.raises(ValidationError):
        do_grant_credential(
            actor=personas.admin, practitioner=doc, capability=Capability.objects.get(code="ct")
        )
    do_revoke_credential(actor=personas.admin, credential=credential, reason="考核未通过")
    assert not doc.credentials.exists()
    assert AuditEvent.objects.get(action="credential.revoke").after == {"reason": "考核未通过"}


def test_a_user_account_gets_a_hashed_password_and_a_first_role(personas, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    doc = PractitionerFactory(institution=personas.township_a, user=None)
    user = do_create_user_account(
        actor=personas.admin,
        institution=personas.township_a,
        username="lisi",
        password="a long pass phrase 2024",
        role="nurse",
        practitioner=doc,
    )
    assert user.password.startswith("argon2")
    assert user.check_password("a long pass phrase 2024")
    assert Membership.objects.get(user=user).role == "nurse"
    doc.refresh_from_db()
    assert doc.user == user
    event = AuditEvent.objects.get(action="user.create")
    assert "password" not in event.after


def test_a_weak_password_or_a_taken_name_is_refused(personas):
    with pytest.raises(ValidationError) as caught:
        do_create_user_account(
            actor=personas.admin,
            institution=personas.township_a,
            username="Doctor",
            password="123",
            role="nurse",
        )
    assert set(caught.value.message_dict) == {"username", "password"}
    assert not User.objects.filter(username="Doctor").exists()


def test_no_one_grants_a_role_above_their_own(personas):
    with pytest.raises(NotAllowed):
        do_grant_membership(
            actor=personas.admin,
            user=personas.doctor,
            institution=personas.township_a,
            role="network_admin",
        )
    with pytest.raises(NotAllowed):
        do_grant_membership(
            actor=personas.doctor,
            user=personas.colleague,
            institution=personas.township_a,
            role="nurse",
        )


def test_a_granted_role_takes_effect_and_a_revoked_one_ends(personas):
    user = personas.colleague
    assert not access_for(user).has_perm(Perm.IMPORT_DATA, personas.township_a)
    membership = do_grant_membership(
        actor=personas.admin,
        user=user,
        institution=personas.township_a,
        role="institution_admin",
    )
    assert access_for(user).has_perm(Perm.IMPORT_DATA, personas.township_a)
    with pytest.raises(Conflict):
        do_grant_membership(
            actor=personas.admin,
            user=user,
            institution=personas.township_a,
            role="institution_admin",
        )
    do_revoke_membership(actor=personas.admin, membership=membership)
    assert not access_for(user).has_perm(Perm.IMPORT_DATA, personas.township_a)
    assert AuditEvent.objects.filter(action__startswith="membership.").count() == 2
