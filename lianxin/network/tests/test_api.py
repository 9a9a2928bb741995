import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lianxin.core.access import forget_access
from lianxin.core.models import AuditEvent
from lianxin.network.models import Capability, Equipment
from lianxin.testing.factories import (
    DepartmentFactory,
    InstitutionFactory,
    MembershipFactory,
    UserFactory,
    add_member,
)

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def _queries(client, url) -> int:
    # The access is cached on the user object; a real request starts without it.
    forget_access(client.handler._force_user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _equipment(institution, code="ct", status="in_use", name="设备"):
    return Equipment.objects.create(
        institution=institution,
        capability=Capability.objects.get(code=code),
        name=name,
        status=status,
    )


def test_a_doctor_lists_the_institutions_of_their_community_only(personas):
    response = api(personas.doctor).get("/api/institutions/")
    assert response.status_code == 200
    ids = _ids(response)
    assert str(personas.county_a.external_id) in ids
    assert str(personas.village_a.external_id) in ids
    assert str(personas.county_b.external_id) not in ids


def test_another_communitys_institution_is_a_404(personas):
    url = f"/api/institutions/{personas.county_a.external_id}/"
    assert api(personas.outsider).get(url).status_code == 404
    detail = api(personas.doctor).get(url).json()
    assert detail["name"] == personas.county_a.name
    assert detail["communities"][0]["id"] == str(personas.community_a.external_id)


def test_the_institution_detail_lists_departments(personas):
    url = f"/api/institutions/{personas.township_a.external_id}/"
    detail = api(personas.doctor).get(url).json()
    assert [d["code"] for d in detail["departments"]] == ["GP"]


def test_anonymous_callers_are_refused(personas):
    assert api().get("/api/institutions/").status_code in {401, 403}
    assert api().get("/api/capabilities/").status_code in {401, 403}


def test_a_token_authenticates(personas):
    token = Token.objects.create(user=personas.doctor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/institutions/").status_code == 200


def test_the_commission_sees_the_registry_of_its_county(personas):
    ids = _ids(api(personas.commission).get("/api/institutions/"))
    assert str(personas.township_a.external_id) in ids
    assert str(personas.county_b.external_id) not in ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tier=village", {"village_a"}),
        ("tier=county_hospital", {"county_a"}),
        ("division=350426100", {"township_a", "village_a"}),
        ("q=东门村", {"village_a"}),
    ],
)
def test_institutions_filter(personas, query, expected):
    ids = _ids(api(personas.doctor).get(f"/api/institutions/?{query}"))
    assert ids == {str(getattr(personas, name).external_id) for name in expected}


def test_institutions_filter_by_community(personas):
    ids = _ids(
        api(personas.doctor).get(f"/api/institutions/?community={personas.community_a.external_id}")
    )
    assert len(ids) == 3


def test_a_bad_filter_value_is_a_400_not_a_500(personas):
    assert api(personas.doctor).get("/api/institutions/?community=nope").status_code == 400
    assert api(personas.doctor).get("/api/institutions/?tier=castle").status_code == 400


def test_pagination_is_applied(personas):
    response = api(personas.doctor).get("/api/institutions/?page_size=1")
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 1 and body["next"]


def test_institution_list_queries_do_not_grow_with_rows(personas):
    client = api(personas.doctor)
    one = _queries(client, "/api/institutions/?tier=county_hospital")
    for _ in range(20):
        add_member(personas.community_a, InstitutionFactory(tier="county_hospital"))
    many = _queries(client, "/api/institutions/?tier=county_hospital")
    assert one == many


def test_department_and_equipment_lists_keep_a_constant_query_count(personas):
    client = api(personas.doctor)
    _equipment(personas.township_a)
    counts = {
        url: _queries(client, url)
        for url in ("/api/departments/", "/api/equipment/", "/api/communities/")
    }
    for n in range(20):
        DepartmentFactory(institution=personas.township_a)
        _equipment(personas.township_a, name=f"CT{n}")
    for url, before in counts.items():
        assert _queries(client, url) == before, url


def test_agreement_and_capability_lists_keep_a_constant_query_count(personas):
    from lianxin.network.models import Agreement

    client = api(personas.doctor)

    def agree():
        Agreement.objects.create(
            party_a=personas.county_a,
            party_b=personas.township_a,
            kind="tight",
            scope="x",
            starts_on="2024-01-01",
            community=personas.community_a,
        )

    agree()
    before = _queries(client, "/api/agreements/")
    for _ in range(20):
        agree()
    assert _queries(client, "/api/agreements/") == before
    assert _queries(client, "/api/capabilities/?page_size=200") <= before + 2


def test_departments_filter_by_institution_and_centre_type(personas):
    DepartmentFactory(
        institution=personas.county_a, kind="shared_centre", centre_type="imaging", code="IMG"
    )
    client = api(personas.doctor)
    rows = client.get(f"/api/departments/?institution={personas.county_a.external_id}").json()
    assert [r["code"] for r in rows["results"]] == ["IMG"]
    rows = client.get("/api/departments/?centre_type=imaging").json()["results"]
    assert rows[0]["institution_name"] == personas.county_a.name
    outsider_rows = api(personas.outsider).get("/api/departments/").json()["results"]
    assert outsider_rows == []


def test_the_capability_catalogue_lists_requirements(personas):
    body = api(personas.doctor).get("/api/capabilities/pci/").json()
    assert "pci_lab" in body["requires"]
    assert body["source"]


def test_equipment_filters_and_status_change(personas):
    ct = _equipment(personas.township_a)
    _equipment(personas.township_a, code="dr", status="broken")
    client = api(personas.admin)
    rows = client.get("/api/equipment/?capability=ct").json()["results"]
    assert [r["id"] for r in rows] == [str(ct.external_id)]
    assert client.get("/api/equipment/?status=broken").json()["count"] == 1
    response = client.post(f"/api/equipment/{ct.external_id}/status/", {"status": "broken"})
    assert response.status_code == 200 and response.json()["status"] == "broken"
    assert AuditEvent.objects.filter(action="equipment.status").count() == 1


def test_a_doctor_cannot_change_equipment_status(personas):
    ct = _equipment(personas.township_a)
    response = api(personas.doctor).post(
        f"/api/equipment/{ct.external_id}/status/", {"status": "idle"}
    )
    assert response.status_code == 403
    response = api(personas.outsider).post(
        f"/api/equipment/{ct.external_id}/status/", {"status": "idle"}
    )
    assert response.status_code == 404


def test_an_admin_registers_equipment_and_a_department(personas):
    client = api(personas.admin)
    response = client.post(
        "/api/equipment/",
        {
            "institution": str(personas.township_a.external_id),
            "capability": "ultrasound",
            "name": "彩超",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["capability"] == "ultrasound"
    response = client.post(
        "/api/departments/",
        {"institution": str(personas.township_a.external_id), "name": "内科", "code": "IM"},
        format="json",
    )
    assert response.status_code == 201
    response = client.post(
        "/api/departments/",
        {"institution": str(personas.township_a.external_id), "name": "内科", "code": "IM"},
        format="json",
    )
    assert response.status_code == 400 and "code" in response.json()


def test_a_network_admin_creates_an_institution_in_the_community(personas):
    user = UserFactory()
    MembershipFactory(user=user, institution=personas.county_a, role="network_admin")
    payload = {
        "name": "新阳镇卫生院",
        "code": "PDY77",
        "tier": "township",
        "division_code": "350426103",
        "latitude": "26.1",
        "longitude": "118.2",
        "community": str(personas.community_a.external_id),
    }
    response = api(user).post("/api/institutions/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["communities"][0]["name"] == personas.community_a.name
    response = api(user).post("/api/institutions/", payload, format="json")
    assert response.status_code == 400 and "code" in response.json()
    assert (
        api(personas.doctor).post("/api/institutions/", {**payload, "code": "X1"}).status_code
        == 403
    )


def test_an_admin_edits_their_institution_but_not_another(personas):
    client = api(personas.admin)
    url = f"/api/institutions/{personas.township_a.external_id}/"
    response = client.patch(url, {"beds": 44, "latitude": "91"}, format="json")
    assert response.status_code == 400 and "latitude" in response.json()
    response = client.patch(url, {"beds": 44}, format="json")
    assert response.status_code == 200 and response.json()["beds"] == 44
    other = f"/api/institutions/{personas.county_a.external_id}/"
    assert client.patch(other, {"beds": 1}, format="json").status_code == 403


def test_communities_are_scoped(personas):
    ids = _ids(api(personas.doctor).get("/api/communities/"))
    assert ids == {str(personas.community_a.external_id)}
    url = f"/api/communities/{personas.community_b.external_id}/"
    assert api(personas.doctor).get(url).status_code == 404
    detail = api(personas.outsider).get(url).json()
    assert detail["members"][0]["name"] == personas.county_b.name


def test_the_schema_describes_the_registry(personas):
    response = api(personas.doctor).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/institutions/" in response.content
