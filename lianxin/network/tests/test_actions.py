import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.core.access import access_for
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.network.actions import (
    do_add_community_member,
    do_change_equipment_status,
    do_create_agreement,
    do_create_community,
    do_create_department,
    do_create_institution,
    do_register_equipment,
    do_update_department,
    do_update_institution,
)
from lianxin.network.models import Capability, CommunityKind, CommunityMember, EquipmentStatus
from lianxin.testing.factories import InstitutionFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _network_admin(institution):
    user = UserFactory()
    MembershipFactory(user=user, institution=institution, role="network_admin")
    return user


def _create(actor, community=None, **overrides):
    values = {
        "name": "新阳镇卫生院",
        "code": "PDY99990001",
        "tier": "township",
        "division_code": "350426103",
        "latitude": "26.17",
        "longitude": "118.19",
        "beds": 40,
    }
    values.update(overrides)
    return do_create_institution(actor=actor, community=community, **values)


def test_a_network_admin_at_the_lead_adds_an_institution_to_the_community(personas):
    actor = _network_admin(personas.county_a)
    inst = _create(actor, personas.community_a)
    assert CommunityMember.objects.filter(
        community=personas.community_a, member_institution=inst
    ).exists()
    event = AuditEvent.objects.get(action="institution.create")
    assert event.target_id == str(inst.external_id)
    assert event.after["community"] == str(personas.community_a.external_id)
    assert inst.pk in access_for(actor).registry_institution_ids


def test_an_institution_admin_cannot_add_institutions(personas):
    with pytest.raises(NotAllowed):
        _create(personas.admin, personas.community_a)
    with pytest.raises(NotAllowed):
        _create(personas.admin)


def test_a_network_admin_of_another_community_cannot_add_to_this_one(personas):
    with pytest.raises(NotAllowed):
        _create(_network_admin(personas.county_b), personas.community_a)


def test_it_reports_each_bad_field(personas):
    actor = _network_admin(personas.county_a)
    with pytest.raises(ValidationError) as caught:
        _create(
            actor,
            code=personas.township_a.code,
            division_code="3504",
            latitude="95",
            longitude="east",
            tier="palace",
            name="",
            beds=-1,
        )
    errors = caught.value.message_dict
    assert set(errors) == {"code", "division_code", "latitude", "longitude", "tier", "name", "beds"}
    assert not AuditEvent.objects.filter(action="institution.create").exists()


def test_a_superuser_may_create_an_institution_outside_any_community(db):
    root = UserFactory(is_superuser=True)
    inst = _create(root, code="pdy 0002")
    assert inst.code == "PDY0002"


def test_an_institution_admin_updates_their_own_institution_with_an_audit_row(personas):
    inst = do_update_institution(actor=personas.admin, institution=personas.township_a, beds=55)
    assert inst.beds == 55
    event = AuditEvent.objects.get(action="institution.update")
    assert event.before == {"beds": 30} and event.after == {"beds": 55}


def test_an_institution_admin_cannot_update_another_institution(personas):
    with pytest.raises(NotAllowed):
        do_update_institution(actor=personas.admin, institution=personas.county_a, beds=1)


def test_a_network_admin_at_the_lead_may_update_a_member(personas):
    actor = _network_admin(personas.county_a)
    inst = do_update_institution(actor=actor, institution=personas.village_a, phone="0598-1234567")
    assert inst.phone == "0598-1234567"


def test_an_alliance_contains_county_communities_but_never_itself(personas):
    tertiary = InstitutionFactory(tier="tertiary", division_code="350400")
    actor = _network_admin(tertiary)
    alliance = do_create_community(
        actor=actor,
        name="三明市医联体",
        kind=CommunityKind.ALLIANCE,
        lead=tertiary,
        division_code="350400",
    )
    assert CommunityMember.objects.filter(community=alliance, member_institution=tertiary).exists()
    do_add_community_member(actor=actor, community=alliance, member_community=personas.community_a)
    assert personas.village_a.pk in access_for(actor).registry_institution_ids
    assert personas.county_b.pk not in access_for(actor).registry_institution_ids
    with pytest.raises(Conflict):
        do_add_community_member(
            actor=actor, community=alliance, member_community=personas.community_a
        )
    with pytest.raises(ValidationError):
        do_add_community_member(actor=actor, community=alliance, member_community=alliance)
    assert AuditEvent.objects.filter(action="community.member.add").count() == 1


def test_a_county_community_cannot_contain_communities(personas):
    actor = _network_admin(personas.county_a)
    with pytest.raises(ValidationError) as caught:
        do_add_community_member(
            actor=actor, community=personas.community_a, member_community=personas.community_b
        )
    assert "member_community" in caught.value.message_dict


def test_alliances_nested_in_a_cycle_are_refused(personas):
    root = UserFactory(is_superuser=True)
    one = do_create_community(
        actor=root, name="甲", kind="alliance", lead=personas.county_a, division_code="350400"
    )
    do_add_community_member(actor=root, community=one, member_community=personas.community_a)
    # community_a is county: cannot contain one; the kind rule already blocks that cycle.
    with pytest.raises(ValidationError):
        do_add_community_member(actor=root, community=personas.community_a, member_community=one)


def test_departments_are_created_and_recoded_by_the_institution_admin(personas):
    dept = do_create_department(
        actor=personas.admin,
        institution=personas.township_a,
        name="影像中心",
        code="IMG",
        kind="shared_centre",
        centre_type="imaging",
    )
    with pytest.raises(ValidationError) as caught:
        do_create_department(
            actor=personas.admin, institution=personas.township_a, name="x", code="IMG"
        )
    assert "code" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        do_update_department(actor=personas.admin, department=dept, kind="clinical")
    assert "centre_type" in caught.value.message_dict
    do_update_department(actor=personas.admin, department=dept, name="医学影像中心")
    assert AuditEvent.objects.filter(action__startswith="department.").count() == 2
    with pytest.raises(NotAllowed):
        do_create_department(
            actor=personas.doctor, institution=personas.township_a, name="x", code="Y"
        )


def test_equipment_is_registered_and_changes_status_with_audit(personas):
    ct = Capability.objects.get(code="ct")
    machine = do_register_equipment(
        actor=personas.admin, institution=personas.township_a, capability=ct, name="16排CT"
    )
    do_change_equipment_status(actor=personas.admin, equipment=machine, status="broken")
    machine.refresh_from_db()
    assert machine.status == EquipmentStatus.BROKEN
    event = AuditEvent.objects.get(action="equipment.status")
    assert event.before == {"status": "in_use"}
    with pytest.raises(ValidationError):
        do_change_equipment_status(actor=personas.admin, equipment=machine, status="lost")
    with pytest.raises(NotAllowed):
        do_change_equipment_status(actor=personas.doctor, equipment=machine, status="idle")


def test_equipment_cannot_provide_a_procedure(personas):
    with pytest.raises(ValidationError) as caught:
        do_register_equipment(
            actor=personas.admin,
            institution=personas.township_a,
            capability=Capability.objects.get(code="pci"),
            name="x",
        )
    assert "capability" in caught.value.message_dict


def test_an_agreement_keeps_its_signed_document(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    actor = _network_admin(personas.county_a)
    agreement = do_create_agreement(
        actor=actor,
        party_a=personas.county_a,
        party_b=personas.township_a,
        kind="tight",
        scope="医共体紧密型合作",
        starts_on=datetime.date(2024, 1, 1),
        community=personas.community_a,
        document=SimpleUploadedFile("协议.pdf", b"%PDF-1.4 test", "application/pdf"),
    )
    assert agreement.document.name.endswith(".pdf")
    assert AuditEvent.objects.get(action="agreement.create").after["kind"] == "tight"


def test_an_agreement_refuses_bad_dates_and_documents(personas):
    actor = _network_admin(personas.county_a)
    with pytest.raises(ValidationError) as caught:
        do_create_agreement(
            actor=actor,
            party_a=personas.county_a,
            party_b=personas.county_a,
            kind="tight",
            scope="",
            starts_on=datetime.date(2024, 1, 1),
            ends_on=datetime.date(2023, 1, 1),
            document=SimpleUploadedFile("run.exe", b"MZ"),
        )
    assert set(caught.value.message_dict) == {"party_b", "scope", "ends_on", "document"}
