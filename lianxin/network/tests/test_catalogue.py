import pytest

from lianxin.network.models import Capability, CapabilityKind
from lianxin.network.rules import CAPABILITIES, sync_capabilities
from lianxin.workforce.models import Specialty
from lianxin.workforce.rules import SPECIALTIES, sync_specialties

pytestmark = pytest.mark.django_db


def test_the_migration_loads_the_whole_capability_catalogue():
    assert set(Capability.objects.values_list("code", flat=True)) >= {r.code for r in CAPABILITIES}


def test_capability_sync_is_idempotent():
    assert sync_capabilities() == 0
    Capability.objects.filter(code="ct").update(name="changed")
    assert sync_capabilities() == 1
    assert Capability.objects.get(code="ct").name == "CT"
    assert sync_capabilities() == 0


def test_procedures_require_their_facilities():
    pci = Capability.objects.get(code="pci")
    assert pci.kind == CapabilityKind.PROCEDURE
    assert "pci_lab" in set(pci.requires.values_list("code", flat=True))
    caesarean = Capability.objects.get(code="caesarean_section")
    assert "operating_room" in set(caesarean.requires.values_list("code", flat=True))


def test_every_catalogue_entry_cites_a_source_and_requires_only_facilities():
    codes = {rule.code: rule for rule in CAPABILITIES}
    for rule in CAPABILITIES:
        assert rule.source
        assert rule.name
        for code in rule.requires:
            assert codes[code].kind == CapabilityKind.FACILITY


def test_a_removed_requirement_is_unlinked_by_the_sync():
    pci = Capability.objects.get(code="pci")
    pci.requires.add(Capability.objects.get(code="mri"))
    sync_capabilities()
    assert "mri" not in set(pci.requires.values_list("code", flat=True))


def test_specialty_sync_is_idempotent_and_complete():
    assert Specialty.objects.filter(code__in=[r.code for r in SPECIALTIES]).count() == len(
        SPECIALTIES
    )
    assert Specialty.objects.get(code="03").name == "内科"
    assert sync_specialties() == 0
    Specialty.objects.filter(code="50").update(name="x")
    assert sync_specialties() == 1
    assert Specialty.objects.get(code="50").name == "中医科"
