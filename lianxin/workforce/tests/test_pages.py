import pytest
from django.urls import reverse

from lianxin.core.access import access_for, forget_access
from lianxin.core.permissions import Perm
from lianxin.testing.factories import PractitionerFactory
from lianxin.workforce.models import Practitioner

pytestmark = pytest.mark.django_db


def _detail(practitioner) -> str:
    return reverse("workforce:practitioner-detail", kwargs={"id": practitioner.external_id})


def test_a_doctor_sees_practitioners_of_their_community_only(personas):
    PractitionerFactory(institution=personas.county_a, name="县医院李")
    PractitionerFactory(institution=personas.county_b, name="大田赵")
    body = personas.client("doctor").get(reverse("workforce:practitioner-list")).content.decode()
    assert "县医院李" in body and "大田赵" not in body


def test_the_practitioner_list_answers_htmx_searches(personas):
    PractitionerFactory(institution=personas.county_a, name="县医院李")
    response = personas.client("doctor").get(
        reverse("workforce:practitioner-list"), {"q": "李"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and "县医院李" in body and "王医生" not in body


def test_a_practitioner_page_is_a_404_for_another_county(personas):
    other = PractitionerFactory(institution=personas.county_b, licence_number="L-77")
    assert personas.client("doctor").get(_detail(other)).status_code == 404
    response = personas.client("outsider").get(_detail(other))
    assert response.status_code == 200 and "L-77" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(personas):
    doc = Practitioner.objects.get(name="王医生")
    for url in (reverse("workforce:practitioner-list"), _detail(doc)):
        response = personas.client(None).get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_commission_reads_the_people_registry(personas):
    response = personas.client("commission").get(reverse("workforce:practitioner-list"))
    assert response.status_code == 200 and "王医生" in response.content.decode()


def test_an_admin_adds_a_practitioner(personas):
    url = reverse(
        "workforce:practitioner-add", kwargs={"institution": personas.township_a.external_id}
    )
    client = personas.client("admin")
    response = client.post(
        url,
        {
            "name": "钱医生",
            "profession": "physician",
            "title": "resident",
            "specialties": ["02"],
            "department": str(personas.department_a.external_id),
        },
    )
    assert response.status_code == 302
    doc = Practitioner.objects.get(name="钱医生")
    assert doc.department == personas.department_a
    assert personas.client("doctor").get(url).status_code == 403
    assert personas.client("outsider").get(url).status_code == 404


def test_an_admin_grants_a_role_from_the_institution_page(personas):
    url = reverse("workforce:role-grant", kwargs={"institution": personas.township_a.external_id})
    response = personas.client("admin").post(
        url, {"role-username": "colleague", "role-role": "outreach_officer"}
    )
    assert response.status_code == 302
    personas.colleague.refresh_from_db()
    assert access_for(personas.colleague).has_perm(Perm.MANAGE_OUTREACH, personas.township_a)
    refused = personas.client("admin").post(
        url, {"role-username": "colleague", "role-role": "network_admin"}
    )
    assert refused.status_code == 302
    forget_access(personas.colleague)
    assert not access_for(personas.colleague).has_perm(Perm.MANAGE_NETWORK)


def test_the_practitioner_list_page_keeps_a_constant_query_count(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lianxin.workforce.models import Specialty

    client = personas.client("doctor")
    url = reverse("workforce:practitioner-list")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    specialty = Specialty.objects.get(code="02")
    for _ in range(20):
        PractitionerFactory(
            institution=personas.county_a, department=personas.department_a
        ).specialties.add(specialty)
    assert count() == before
