"""The county's speeds by road class: set by its network administrator on the road-network page
or through the API (one input form for both), audited, and the travel-time table rebuilt; bad
speeds are refused alike on both paths and change nothing; outsiders get a 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.core.models import AuditEvent
from lianxin.emergency import tables
from lianxin.emergency.advice import Origin, advise
from lianxin.emergency.models import RoadNetwork, TableStatus
from lianxin.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world):
    """The county community's network administrator (at its lead, the county hospital)."""
    from django.test import Client

    user = UserFactory(username="roads", display_name="路网管理员")
    MembershipFactory(user=user, institution=world.p.county_a, role="network_admin")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk_client(world):
    from django.test import Client

    client = Client()
    client.force_login(world.desk)
    return client


def _urls(network: RoadNetwork) -> tuple[str, str]:
    return (
        reverse("emergency:network-speeds", kwargs={"id": network.external_id}),
        f"/api/emergency/networks/{network.external_id}/speeds/",
    )


def _minutes(world) -> float:
    origin = Origin(26.14, 118.03)
    advice = advise(origin, "severe_trauma", networks=RoadNetwork.objects.all())
    return advice.default.minutes


def test_the_administrator_sets_a_speed_and_the_table_is_rebuilt_with_it(
    world, admin, django_capture_on_commit_callbacks
):
    network = world.network
    page = admin.get(reverse("emergency:network")).content.decode()
    assert 'name="unclassified"' in page and "村道" in page  # the form, by Chinese grade
    before_minutes, version = _minutes(world), network.table_version
    page_url, _ = _urls(network)
    with django_capture_on_commit_callbacks() as queued:
        response = admin.post(page_url, {"unclassified": "12", "secondary": "45"})
    assert response.status_code == 302 and response["Location"] == reverse("emergency:network")
    network.refresh_from_db()
    # 45 km/h is the table's own speed for 县道: not an override.
    assert network.speed_overrides == {"unclassified": 12.0}
    assert network.status == TableStatus.PENDING and len(queued) == 1
    event = AuditEvent.objects.get(action="emergency.roads.speeds")
    assert event.after == {"unclassified": 12.0} and event.before == {}
    for callback in queued:  # the worker's turn: the rebuild task runs
        callback()
    network.refresh_from_db()
    assert network.status == TableStatus.READY and network.table_version == version + 1
    tables.forget()
    assert _minutes(world) > before_minutes  # village roads slower: the county is further
    shown = admin.get(reverse("emergency:network")).content.decode()
    assert 'value="12.0"' in shown


def test_the_api_sets_the_speeds_with_the_same_form_and_reads_them_back(
    world, admin, django_capture_on_commit_callbacks
):
    _, api_url = _urls(world.network)
    with django_capture_on_commit_callbacks() as queued:
        answer = admin.post(api_url, {"track": 8, "motorway": 90}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["speed_overrides"] == {"track": 8.0, "motorway": 90.0}
    assert body["speeds"]["track"] == {"name": "机耕路", "default_kmh": 10, "county_kmh": 8.0}
    assert body["status"] == "pending" and len(queued) == 1
    listed = admin.get("/api/emergency/networks/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == str(world.network.external_id)


BAD = [
    ({"unclassified": "3"}, "unclassified", "大于或等于5"),
    ({"motorway": "500"}, "motorway", "小于或等于130"),
    ({"track": "fast"}, "track", "请输入数字"),
    ({"track": "nan"}, "track", "请输入数字"),
    ({"rocket": "60", "track": "8"}, "non_field_errors", "rocket"),
]


def test_bad_speeds_are_refused_alike_on_the_page_and_the_api_and_change_nothing(
    world, admin, django_capture_on_commit_callbacks
):
    network = world.network
    page_url, api_url = _urls(network)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    for given, field, message in BAD:
        with django_capture_on_commit_callbacks() as queued:
            page = admin.post(page_url, given, follow=True, **zh)
            api = admin.post(api_url, given, content_type="application/json", **zh)
        assert page.status_code == 200 and message in page.content.decode(), given
        assert api.status_code == 400 and message in " ".join(api.json()[field]), given
        assert not queued, given
    network.refresh_from_db()
    assert network.speed_overrides == {} and network.status == TableStatus.READY
    assert not AuditEvent.objects.filter(action="emergency.roads.speeds").exists()


def test_the_desk_sees_the_speeds_but_may_not_change_them(world, desk_client):
    network = world.network
    page = desk_client.get(reverse("emergency:network")).content.decode()
    assert "JTG B01" in page and 'name="unclassified"' not in page
    page_url, api_url = _urls(network)
    refused = desk_client.post(api_url, {"track": 8}, content_type="application/json")
    assert refused.status_code == 403
    desk_client.post(page_url, {"track": "8"})
    network.refresh_from_db()
    assert network.speed_overrides == {}


def test_an_outsider_gets_a_404_on_every_network_step(world):
    outsider = world.p.client("outsider")
    network = world.network
    for name in ("speeds", "rebuild"):
        page = reverse(f"emergency:network-{name}", kwargs={"id": network.external_id})
        assert outsider.post(page, {"track": "8"}).status_code == 404
        api = f"/api/emergency/networks/{network.external_id}/{name}/"
        assert outsider.post(api, {"track": 8}, content_type="application/json").status_code == 404
    assert outsider.get(f"/api/emergency/networks/{network.external_id}/").status_code == 404
    network.refresh_from_db()
    assert network.speed_overrides == {} and network.status == TableStatus.READY


def test_the_rebuild_step_is_audited_and_queues_the_task(
    world, admin, django_capture_on_commit_callbacks
):
    url = reverse("emergency:network-rebuild", kwargs={"id": world.network.external_id})
    with django_capture_on_commit_callbacks() as queued:
        assert admin.post(url).status_code == 302
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action="emergency.roads.rebuild").count() == 1
