"""A real FHIR client (SMART on FHIR's ``fhirclient``) against a live server: it reads the
CapabilityStatement, searches Patients by identifier with a token, and reads one."""

from __future__ import annotations

import warnings

import pytest
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.organization import Organization
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRServer, FHIRUnauthorizedException
from rest_framework.authtoken.models import Token

from lianxin.core.models import AuditEvent
from lianxin.testing.factories import PatientFactory, register_at

RESIDENT_ID = "urn:oid:2.16.156.10011.1.3"


@pytest.fixture
def server(live_server):
    server = FHIRServer(None, base_uri=f"{live_server.url}/fhir/")
    yield server
    # Close the kept-alive sockets now, so the server's request threads end while the test
    # database is still shared with them.
    server.session.close()


def test_the_client_reads_the_capability_statement_without_a_token(server):
    statement = CapabilityStatement.read_from("metadata", server)
    types = {resource.type for resource in statement.rest[0].resource}
    assert {"Patient", "Organization", "Location", "Practitioner", "PractitionerRole"} <= types


def test_the_client_searches_by_identifier_and_reads_the_patient_with_a_token(personas, server):
    token = Token.objects.create(user=personas.doctor)
    server.session.headers["Authorization"] = f"Token {token.key}"
    patient = personas.patient
    search = Patient.where({"identifier": f"{RESIDENT_ID}|{patient.id_number}"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found = search.perform_resources(server)
    assert [p.id for p in found] == [str(patient.external_id)]
    assert found[0].name[0].text == "张三"

    before = AuditEvent.objects.filter(action="patient.read").count()
    read = Patient.read(found[0].id, server)
    assert read.gender == "male"
    assert {i.system: i.value for i in read.identifier}[RESIDENT_ID] == patient.id_number
    assert read.birthDate.isostring == patient.birth_date.isoformat()
    assert AuditEvent.objects.filter(action="patient.read").count() == before + 1

    org = Organization.read(str(personas.township_a.external_id), server)
    assert org.name == personas.township_a.name


def test_the_client_follows_next_links_across_pages(personas, server):
    for _ in range(4):
        register_at(PatientFactory(), personas.township_a)
    token = Token.objects.create(user=personas.doctor)
    server.session.headers["Authorization"] = f"Token {token.key}"
    bundles = list(Patient.where({"_count": "2"}).perform_iter(server))
    assert len(bundles) == 3
    ids = [entry.resource.id for bundle in bundles for entry in bundle.entry]
    assert len(set(ids)) == 5


def test_the_client_without_a_token_is_refused(personas, server):
    with pytest.raises(FHIRUnauthorizedException):
        Patient.read(str(personas.patient.external_id), server)
