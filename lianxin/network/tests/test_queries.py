import datetime

import pytest

from lianxin.core.errors import NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.network.actions import do_add_community_member, do_remove_community_member
from lianxin.network.models import Capability, CommunityMember, Equipment
from lianxin.network.queries import capabilities_today, community_tree
from lianxin.testing.factories import (
    CommunityFactory,
    InstitutionFactory,
    PractitionerFactory,
    UserFactory,
)
from lianxin.workforce.models import Credential

pytestmark = pytest.mark.django_db


def _credential(practitioner, code, expires_on=None):
    return Credential.objects.create(
        practitioner=practitioner,
        capability=Capability.objects.get(code=code),
        granted_on=datetime.date(2024, 1, 1),
        expires_on=expires_on,
    )


def test_capabilities_today_need_equipment_in_use_and_credentialed_staff(personas):
    a, b = personas.county_a, personas.township_a
    for inst in (a, b):
        Equipment.objects.create(institution=inst, capability=Capability.objects.get(code="ct"))
    Equipment.objects.filter(institution=b).update(status="idle")
    _credential(PractitionerFactory(institution=a), "thrombolysis_stroke")
    _credential(PractitionerFactory(institution=b), "thrombolysis_stroke")
    expired = PractitionerFactory(institution=a)
    _credential(expired, "appendectomy", expires_on=datetime.date(2024, 6, 1))
    result = capabilities_today([a.pk, b.pk], today=datetime.date(2025, 1, 1))
    assert result[a.pk] == {"ct", "thrombolysis_stroke"}
    assert result[b.pk] == set()


def test_an_inactive_practitioner_gives_no_capability(personas):
    Equipment.objects.create(
        institution=personas.county_a, capability=Capability.objects.get(code="ecg")
    )
    doc = PractitionerFactory(institution=personas.county_a, is_active=False)
    _credential(doc, "thrombolysis_stemi")
    assert capabilities_today([personas.county_a.pk])[personas.county_a.pk] == {"ecg"}


def test_the_community_tree_nests_county_communities_in_an_alliance(personas):
    tertiary = InstitutionFactory(tier="tertiary")
    alliance = CommunityFactory(kind="alliance", lead=tertiary)
    CommunityMember.objects.create(community=alliance, member_institution=tertiary)
    CommunityMember.objects.create(community=alliance, member_community=personas.community_a)
    tree = community_tree(alliance)
    assert [i.pk for i in tree.institutions] == [tertiary.pk]
    assert tree.children[0].community == personas.community_a
    assert tree.children[0].institutions[0] == personas.county_a


def test_a_member_leaves_a_community_but_the_lead_cannot(personas):
    root = UserFactory(is_superuser=True)
    extra = InstitutionFactory()
    member = do_add_community_member(actor=root, community=personas.community_a, institution=extra)
    with pytest.raises(NotAllowed):
        do_remove_community_member(actor=personas.admin, member=member)
    do_remove_community_member(actor=root, member=member)
    assert not CommunityMember.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(action="community.member.remove").exists()
    lead = CommunityMember.objects.get(
        community=personas.community_a, member_institution=personas.county_a
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        do_remove_community_member(actor=root, member=lead)
