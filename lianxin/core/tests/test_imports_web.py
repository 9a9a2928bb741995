"""The import page: who may use it, the report it shows and the downloads."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from lianxin.core.tests.test_imports import good_rows, id_number, make_csv, make_xlsx
from lianxin.patients.models import Patient
from lianxin.testing.factories import MembershipFactory, UserFactory
from lianxin.workforce.models import Practitioner


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def upload(client, personas, data: bytes, name="residents.csv", **fields):
    form = {
        "kind": "residents",
        "institution": str(personas.township_a.external_id),
        "file": SimpleUploadedFile(name, data),
        **fields,
    }
    return client.post(reverse("imports:upload"), form, follow=True)


def test_an_administrator_uploads_residents_and_sees_the_report(personas):
    client = personas.client("admin")
    rows = [*good_rows(), ["", id_number(13), "男", "", "", "", ""]]

    response = upload(client, personas, make_csv(rows, "gbk"))

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("imports:report")
    page = response.content.decode()
    assert "has-error" in page and "姓名" in page
    assert id_number(13) not in page and id_number(11) not in page
    assert response.context["totals"]["created"] == 2
    assert response.context["totals"]["error"] == 1
    assert Patient.objects.filter(name__in=["李四", "王芳"]).count() == 2


def test_check_only_shows_the_report_and_saves_nothing(personas):
    response = upload(personas.client("admin"), personas, make_csv(good_rows()), check_only="on")

    assert response.context["report"].dry_run
    assert response.context["totals"]["created"] == 2
    assert "nothing was saved" in response.content.decode()
    assert not Patient.objects.filter(name="李四").exists()


def test_the_report_can_be_downloaded_as_csv_and_excel(personas):
    client = personas.client("admin")
    upload(client, personas, make_xlsx(good_rows()), name="r.xlsx")

    as_csv = client.get(reverse("imports:report-csv"))
    as_xlsx = client.get(reverse("imports:report-xlsx"))

    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    assert as_csv.content.startswith("\ufeff".encode())
    assert "attachment" in as_csv["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet.max_row == 3


def test_a_file_level_error_is_shown_and_nothing_is_saved(personas):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"

    response = upload(personas.client("admin"), personas, png, name="photo.csv")

    assert "not a CSV text file" in response.content.decode()
    assert response.context["report"].file_errors


def test_residents_need_an_institution_the_user_may_import_at(personas):
    client = personas.client("admin")

    response = upload(client, personas, make_csv(good_rows()), institution="")
    other = upload(
        client, personas, make_csv(good_rows()), institution=str(personas.county_b.external_id)
    )

    assert response.status_code == 200 and response.context["form"].errors["institution"]
    assert other.context["form"].errors["institution"]
    assert not Patient.objects.filter(name="李四").exists()


def test_an_upload_over_the_size_limit_is_refused(personas, monkeypatch):
    monkeypatch.setattr("lianxin.core.import_views.MAX_UPLOAD_BYTES", 50)

    response = upload(personas.client("admin"), personas, make_csv(good_rows()))

    assert "larger than" in str(response.context["form"].errors["file"])
    assert not Patient.objects.filter(name="李四").exists()


def test_an_upload_over_the_row_limit_is_refused(personas, monkeypatch):
    monkeypatch.setattr("lianxin.core.import_views.MAX_UPLOAD_ROWS", 1)

    response = upload(personas.client("admin"), personas, make_csv(good_rows()))

    assert "more than 1 rows" in response.content.decode()
    assert not Patient.objects.filter(name="李四").exists()


def test_the_administrator_imports_practitioners_of_their_institution(personas):
    rows = [["姓名", "机构代码", "职称"], ["陈医生", personas.township_a.code, "主治医师"]]

    response = upload(
        personas.client("admin"), personas, make_csv(rows), kind="practitioners", institution=""
    )

    assert response.context["totals"]["created"] == 1
    assert Practitioner.objects.filter(name="陈医生", institution=personas.township_a).exists()


@pytest.mark.parametrize("persona", ["doctor", "specialist", "commission"])
@pytest.mark.parametrize("name", ["imports:upload", "imports:report", "imports:report-csv"])
def test_users_without_the_import_permission_get_403(personas, persona, name):
    assert personas.client(persona).get(reverse(name)).status_code == 403


def test_a_clinician_cannot_post_an_import(personas):
    response = personas.client("doctor").post(
        reverse("imports:upload"),
        {"kind": "residents", "file": SimpleUploadedFile("r.csv", make_csv(good_rows()))},
    )

    assert response.status_code == 403
    assert not Patient.objects.filter(name="李四").exists()


@pytest.mark.parametrize("name", ["imports:upload", "imports:report", "imports:report-xlsx"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_report_page_without_a_report_goes_back_to_the_upload_form(personas):
    response = personas.client("admin").get(reverse("imports:report"))

    assert response.status_code == 302 and response["Location"] == reverse("imports:upload")


def test_a_network_administrator_sees_the_upload_form(personas):
    user = UserFactory(username="netadmin")
    MembershipFactory(user=user, institution=personas.county_a, role="network_admin")
    client = Client()
    client.force_login(user)

    response = client.get(reverse("imports:upload"))

    assert response.status_code == 200
    assert b'type="file"' in response.content


@pytest.mark.parametrize(
    "fields",
    [
        {"institution": "not-a-uuid"},
        {"kind": "patients"},
        {"file": ""},
        {"sheet": "x" * 40},
    ],
)
def test_a_malformed_form_is_answered_with_field_errors(personas, fields):
    response = upload(personas.client("admin"), personas, make_csv(good_rows()), **fields)

    assert response.status_code == 200 and response.context["form"].errors
    assert not Patient.objects.filter(name="李四").exists()


def test_a_report_left_in_an_old_shape_in_the_session_is_dropped(personas):
    client = personas.client("admin")
    session = client.session
    session["lianxin_import_report"] = {"kind": "residents", "rows": [["bad"]]}
    session.save()

    response = client.get(reverse("imports:report"))

    assert response.status_code == 302
