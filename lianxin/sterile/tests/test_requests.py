"""A branch requests packs on its page, the centre issues against the request by scan until it is
fulfilled, and the packs in circulation show per branch."""

from __future__ import annotations

import pytest
from django.test import Client

from lianxin.sterile.models import PackRequest
from lianxin.sterile.tests.conftest import at, new_pack, sterilise

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_branch_requests_packs_and_the_issue_scans_fulfil_the_request(cssd, personas):
    for code in ("XD-500001", "XD-500002"):
        new_pack(cssd, personas, code)
    sterilise(cssd, ["XD-500001", "XD-500002"], at())
    nurse = _client(cssd.nurse)
    page = nurse.get("/sterile/requests/")
    assert page.status_code == 200 and cssd.basic.name in page.content.decode()
    refused = nurse.post(
        "/sterile/requests/",
        {"branch": str(personas.township_a.external_id), f"set_{cssd.basic.external_id}": "0"},
        follow=True,
    )
    assert not PackRequest.objects.exists() and "at least one pack" in refused.content.decode()
    sent = nurse.post(
        "/sterile/requests/",
        {"branch": str(personas.township_a.external_id), f"set_{cssd.basic.external_id}": "2"},
    )
    assert sent.status_code == 302
    request = PackRequest.objects.get()
    assert request.branch == personas.township_a and request.requested_by == cssd.nurse
    assert [(line.instrument_set, line.quantity) for line in request.lines.all()] == [
        (cssd.basic, 2)
    ]

    centre = _client(cssd.operator)
    assert str(request.external_id) in centre.get("/sterile/scan/issue/").content.decode()
    for n, code in enumerate(("XD-500001", "XD-500002")):
        answer = centre.post(
            "/sterile/scan/issue/",
            {
                "step": "issue",
                "barcode": code,
                "branch": str(personas.township_a.external_id),
                "request": str(request.external_id),
            },
            HTTP_HX_REQUEST="true",
        )
        assert 'role="status"' in answer.content.decode()
        request.refresh_from_db()
        assert (request.fulfilled_at is not None) == (n == 1)

    circulation = centre.get("/sterile/circulation/").content.decode()
    row = circulation.split(personas.township_a.name, 1)[1].split("</tr>", 1)[0]
    # In transit 2, the rest 0, total 2.
    assert [c.split("</td>")[0] for c in row.split("<td>")[1:]] == ["2", "0", "0", "0", "0", "2"]
