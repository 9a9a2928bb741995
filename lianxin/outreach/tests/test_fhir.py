"""Postings served as FHIR PractitionerRoles (validated with fhir.resources R4B): host, period,
kind and sending institution; scoped like every other resource."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.practitionerrole import PractitionerRole

from lianxin.interfaces.fhir.registry import get_type
from lianxin.outreach.actions import do_cancel_posting, do_create_posting
from lianxin.outreach.fhir import HOME_EXTENSION, POSTING_KIND_EXTENSION
from lianxin.outreach.tests.conftest import days

pytestmark = pytest.mark.django_db


@pytest.fixture
def posting(personas, officer, expert, today):
    return do_create_posting(
        actor=officer,
        practitioner=expert,
        host_institution=personas.township_a,
        kind="itinerant",
        starts_on=today,
        ends_on=today + days(2),
    )


def _get(client, path, params=None):
    response = client.get(path, params or {})
    assert response["Content-Type"].startswith("application/fhir+json"), response.content[:200]
    return response, json.loads(response.content)


def test_postings_are_a_second_source_after_the_primary_posts():
    keys = [source.key for source in get_type("PractitionerRole").sources]
    assert keys.index("primary_post") < keys.index("posting")


def test_a_posting_reads_as_a_valid_practitioner_role(personas, posting):
    response, _data = _get(
        personas.client("doctor"), f"/fhir/PractitionerRole/{posting.external_id}"
    )
    assert response.status_code == 200
    role = PractitionerRole.model_validate_json(response.content)
    assert role.organization.reference.endswith(str(personas.township_a.external_id))
    assert role.practitioner.reference.endswith(str(posting.practitioner.external_id))
    assert str(role.period.start) == posting.starts_on.isoformat()
    assert str(role.period.end) == posting.ends_on.isoformat()
    assert role.active is True
    extensions = {ext.url: ext for ext in role.extension}
    assert extensions[POSTING_KIND_EXTENSION].valueCoding.code == "itinerant"
    assert extensions[HOME_EXTENSION].valueReference.reference.endswith(
        str(personas.county_a.external_id)
    )


def test_a_cancelled_posting_is_inactive(personas, officer, posting):
    do_cancel_posting(actor=officer, posting=posting, reason="改期")
    _response, data = _get(
        personas.client("doctor"), f"/fhir/PractitionerRole/{posting.external_id}"
    )
    assert data["active"] is False


def test_searching_by_practitioner_finds_the_post_and_the_posting(personas, posting):
    practitioner = posting.practitioner
    _response, data = _get(
        personas.client("doctor"),
        "/fhir/PractitionerRole",
        {"practitioner": f"Practitioner/{practitioner.external_id}"},
    )
    ids = {entry["resource"]["id"] for entry in data["entry"]}
    assert ids == {str(practitioner.external_id), str(posting.external_id)}
    for entry in data["entry"]:
        PractitionerRole.model_validate(entry["resource"])
    _at_host, data = _get(
        personas.client("doctor"),
        "/fhir/PractitionerRole",
        {"organization": f"Organization/{personas.township_a.external_id}"},
    )
    assert str(posting.external_id) in {entry["resource"]["id"] for entry in data["entry"]}


def test_an_outsider_cannot_read_the_posting(personas, posting):
    response, _data = _get(
        personas.client("outsider"), f"/fhir/PractitionerRole/{posting.external_id}"
    )
    assert response.status_code == 404
