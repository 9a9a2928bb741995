import pytest
from django.urls import reverse

from lianxin.core.models import AuditEvent
from lianxin.network.models import Capability, Equipment
from lianxin.testing.factories import (
    CommunityFactory,
    InstitutionFactory,
    MembershipFactory,
    PractitionerFactory,
    UserFactory,
)
from lianxin.workforce.models import Credential

pytestmark = pytest.mark.django_db


def _detail(institution) -> str:
    return reverse("network:institution-detail", kwargs={"id": institution.external_id})


def test_a_doctor_sees_their_communitys_institution_page(personas):
    response = personas.client("doctor").get(_detail(personas.county_a))
    assert response.status_code == 200
    assert personas.county_a.name in response.content.decode()


def test_an_outsider_from_another_county_gets_a_404(personas):
    assert personas.client("outsider").get(_detail(personas.county_a)).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(personas):
    for url in (
        reverse("network:institution-list"),
        _detail(personas.county_a),
        reverse("network:figures"),
    ):
        response = personas.client(None).get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_institution_list_filters_and_answers_htmx_with_the_results_only(personas):
    client = personas.client("doctor")
    page = client.get(reverse("network:institution-list"), {"tier": "village"}).content.decode()
    assert personas.village_a.name in page and personas.county_a.name not in page
    partial = client.get(
        reverse("network:institution-list"), {"q": "总医院"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert "<html" not in body and personas.county_a.name in body
    assert personas.county_b.name not in body


def test_the_commission_sees_figures_but_no_patient(personas):
    client = personas.client("commission")
    response = client.get(reverse("network:figures"))
    assert response.status_code == 200
    body = response.content.decode()
    assert personas.patient.name not in body
    detail = client.get(_detail(personas.township_a)).content.decode()
    assert personas.patient.name not in detail


def test_the_figures_count_beds_practitioners_and_equipment(personas):
    Equipment.objects.create(
        institution=personas.county_a,
        capability=Capability.objects.get(code="ct"),
        name="CT",
        status="broken",
    )
    response = personas.client("commission").get(reverse("network:figures"))
    figures = response.context["figures"]
    assert figures["institutions"] == 3
    assert figures["beds"] == 600 + 30 + 30
    assert figures["attending_or_above"] == 1
    assert {row["status"]: row["n"] for row in figures["equipment"]}["broken"] == 1


def test_a_clinician_does_not_see_figures(personas):
    assert personas.client("doctor").get(reverse("network:figures")).status_code == 403


def test_the_institution_page_shows_capabilities_from_equipment_and_credentialed_staff(personas):
    Equipment.objects.create(
        institution=personas.county_a,
        capability=Capability.objects.get(code="ct"),
        name="64排CT",
    )
    doc = PractitionerFactory(institution=personas.county_a, name="神经内科张")
    Credential.objects.create(
        practitioner=doc,
        capability=Capability.objects.get(code="thrombolysis_stroke"),
        granted_on="2024-01-01",
    )
    Credential.objects.create(
        practitioner=doc, capability=Capability.objects.get(code="pci"), granted_on="2024-01-01"
    )
    response = personas.client("specialist").get(_detail(personas.county_a))
    capabilities = response.context["capabilities"]
    assert capabilities.available_codes == {"ct", "thrombolysis_stroke"}
    missing = {p.capability.code: [m.code for m in p.missing] for p in capabilities.procedures}
    assert missing["pci"] == ["ecg", "pci_lab"]
    assert "神经内科张" in response.content.decode()


def test_a_broken_ct_takes_stroke_thrombolysis_away(personas):
    ct = Equipment.objects.create(
        institution=personas.township_a, capability=Capability.objects.get(code="ct"), name="CT"
    )
    doc = PractitionerFactory(institution=personas.township_a)
    Credential.objects.create(
        practitioner=doc,
        capability=Capability.objects.get(code="thrombolysis_stroke"),
        granted_on="2024-01-01",
    )
    client = personas.client("admin")
    response = client.post(
        reverse("network:equipment-status", kwargs={"id": ct.external_id}), {"status": "broken"}
    )
    assert response.status_code == 302
    capabilities = client.get(_detail(personas.township_a)).context["capabilities"]
    assert "thrombolysis_stroke" not in capabilities.available_codes
    assert AuditEvent.objects.filter(action="equipment.status").exists()


def test_a_doctor_cannot_change_equipment_status_and_sees_no_form(personas):
    ct = Equipment.objects.create(
        institution=personas.township_a, capability=Capability.objects.get(code="ct"), name="CT"
    )
    client = personas.client("doctor")
    url = reverse("network:equipment-status", kwargs={"id": ct.external_id})
    assert url not in client.get(_detail(personas.township_a)).content.decode()
    assert client.post(url, {"status": "broken"}).status_code == 403
    assert personas.client("outsider").post(url, {"status": "broken"}).status_code == 404
    ct.refresh_from_db()
    assert ct.status == "in_use"


def test_an_admin_adds_a_department_and_registers_equipment(personas):
    client = personas.client("admin")
    url = reverse("network:department-add", kwargs={"id": personas.township_a.external_id})
    response = client.post(url, {"dept-name": "内科", "dept-code": "IM", "dept-kind": "clinical"})
    assert response.status_code == 302
    response = client.post(url, {"dept-name": "内科", "dept-code": "IM", "dept-kind": "clinical"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    url = reverse("network:equipment-add", kwargs={"id": personas.township_a.external_id})
    response = client.post(url, {"eq-capability": "dr", "eq-name": "DR机", "eq-status": "in_use"})
    assert response.status_code == 302
    assert Equipment.objects.filter(institution=personas.township_a, name="DR机").exists()
    other = reverse("network:department-add", kwargs={"id": personas.county_a.external_id})
    assert client.get(other).status_code == 403


def test_an_alliance_lead_sees_the_county_communitys_institutions(personas):
    tertiary = InstitutionFactory(tier="tertiary", division_code="350400", name="三明市第一医院")
    alliance = CommunityFactory(kind="alliance", lead=tertiary, division_code="350400")
    from lianxin.network.models import CommunityMember

    CommunityMember.objects.create(community=alliance, member_institution=tertiary)
    CommunityMember.objects.create(community=alliance, member_community=personas.community_a)
    user = UserFactory()
    MembershipFactory(user=user, institution=tertiary)
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get(_detail(personas.village_a)).status_code == 200
    assert client.get(_detail(personas.county_b)).status_code == 404
    page = client.get(reverse("network:community-detail", kwargs={"id": alliance.external_id}))
    body = page.content.decode()
    assert personas.community_a.name in body and personas.village_a.name in body
    # A county user does not see the other county nor the alliance's lead page.
    assert personas.client("doctor").get(_detail(personas.county_b)).status_code == 404


def test_the_community_page_is_scoped(personas):
    url = reverse("network:community-detail", kwargs={"id": personas.community_a.external_id})
    assert personas.client("doctor").get(url).status_code == 200
    assert personas.client("outsider").get(url).status_code == 404
    assert personas.client("commission").get(url).status_code == 200


def _page_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_institution_list_page_keeps_a_constant_query_count(personas):
    from lianxin.testing.factories import add_member

    client = personas.client("doctor")
    url = reverse("network:institution-list")
    before = _page_queries(client, url)
    for _ in range(20):
        add_member(personas.community_a, InstitutionFactory(parent=personas.township_a))
    assert _page_queries(client, url) == before
