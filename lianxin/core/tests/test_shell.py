"""The shell: sign-in with lockout, settings that fail loudly, home, inbox and audit log."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from lianxin.core import audit
from lianxin.core.actions import do_send_notification
from lianxin.core.models import Notification

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_user_signs_in_and_lands_on_home(client, personas):
    response = _login(client, "doctor", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert personas.township_a.name in home.content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, personas):
    response = _login(client, "doctor", "wrong")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_user_name_even_for_the_right_password(client, personas):
    for _attempt in range(5):
        _login(client, "doctor", "wrong")
    response = _login(client, "doctor", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user behind the same address is not locked out.
    assert _login(client, "colleague", PASSWORD).status_code == 302


def test_passwords_are_hashed_with_argon2_in_production():
    import lianxin.settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        hashed = make_password("s3cret-Pass")
        assert hashed.startswith("argon2$")
        assert check_password("s3cret-Pass", hashed)


def _settings_in(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIANXIN_", "SECRET_KEY"))}
    clean.pop("DEBUG", None)
    code = "import lianxin.settings as s; print(s.DEBUG, s.MODE)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _settings_in({"LIANXIN_MODE": "production", "LIANXIN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_has_debug_off_unless_asked(tmp_path):
    env = {"SECRET_KEY": "x" * 50, "LIANXIN_DATA_DIR": str(tmp_path)}
    assert _settings_in(env).stdout.split() == ["False", "production"]
    assert _settings_in({**env, "DEBUG": "true"}).stdout.split() == ["True", "production"]


def test_a_mistyped_setting_stops_the_start(tmp_path):
    env = {"SECRET_KEY": "x" * 50, "DEBUG": "maybe", "LIANXIN_DATA_DIR": str(tmp_path)}
    result = _settings_in(env)
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_navigation_follows_the_role(personas):
    doctor = personas.client("doctor").get(reverse("home")).content.decode()
    commission = personas.client("commission").get(reverse("home")).content.decode()
    assert reverse("patients:search") in doctor
    assert reverse("patients:search") not in commission


def test_the_inbox_counts_unread_and_marks_read(personas):
    for n in range(3):
        do_send_notification(recipient=personas.doctor, verb="test", title=f"消息{n}")
    do_send_notification(recipient=personas.colleague, verb="test", title="别人的消息")
    client = personas.client("doctor")
    page = client.get(reverse("inbox"))
    assert page.context["unread_notifications"] == 3
    assert "别人的消息" not in page.content.decode()
    one = Notification.objects.filter(recipient=personas.doctor).first()
    client.post(reverse("inbox-read"), {"id": str(one.external_id)})
    assert Notification.objects.filter(recipient=personas.doctor, read_at=None).count() == 2
    client.post(reverse("inbox-read"))
    assert Notification.objects.filter(recipient=personas.doctor, read_at=None).count() == 0
    assert Notification.objects.filter(recipient=personas.colleague, read_at=None).count() == 1


def test_nobody_marks_another_users_notification(personas):
    theirs = do_send_notification(recipient=personas.colleague, verb="test", title="x")
    response = personas.client("doctor").post(
        reverse("inbox-read"), {"id": str(theirs.external_id)}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_a_notification_never_redirects_off_site(personas):
    evil = do_send_notification(
        recipient=personas.doctor, verb="test", title="x", url="https://evil.example/"
    )
    response = personas.client("doctor").post(
        reverse("inbox-read"), {"id": str(evil.external_id), "open": "1"}
    )
    assert response["Location"] == reverse("inbox")


def _audit(institution, action):
    with transaction.atomic():
        audit.record(action, actor=None, institution=institution, target_type="t", target_id="1")


def test_an_administrator_reads_the_audit_log_of_their_institution_only(personas):
    _audit(personas.township_a, "test.ours")
    _audit(personas.county_b, "test.theirs")
    page = personas.client("admin").get(reverse("audit-log"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "test.ours" in text and "test.theirs" not in text


@pytest.mark.parametrize("who", ["doctor", "commission", "outsider"])
def test_clinicians_and_the_commission_cannot_read_the_audit_log(personas, who):
    assert personas.client(who).get(reverse("audit-log")).status_code == 403
