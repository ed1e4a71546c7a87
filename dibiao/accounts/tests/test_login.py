from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from dibiao.accounts import services
from dibiao.accounts.choices import Role
from dibiao.accounts.forms import GENERIC_LOGIN_ERROR
from dibiao.core.models import AuditLog
from dibiao.testing.factories import TEST_PASSWORD, user_with_role

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture
def user(tree):
    return user_with_role(Role.COUNTY_ADMIN, tree["c1a"], username="county_x")


def _login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_succeeds_cycles_session_and_writes_one_audit_row(client, user):
    client.get(LOGIN)
    before = client.session.session_key
    response = _login(client, "county_x", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.session.session_key != before
    rows = AuditLog.objects.filter(action="login")
    assert rows.count() == 1
    assert rows.get().username == "county_x"
    assert rows.get().ip == "127.0.0.1"
    assert rows.get().role == "county_admin"


def test_failed_login_shows_generic_message_and_is_audited(client, user):
    response = _login(client, "county_x", "wrong-password")
    assert response.status_code == 200
    assert GENERIC_LOGIN_ERROR in response.content.decode()
    unknown = _login(client, "nobody", "wrong-password")
    assert GENERIC_LOGIN_ERROR in unknown.content.decode()
    assert AuditLog.objects.filter(action="login_failed").count() == 2


def test_sixth_login_after_five_failures_is_refused_even_with_right_password(client, user):
    for _ in range(5):
        _login(client, "county_x", "wrong-password")
    response = _login(client, "county_x", TEST_PASSWORD)
    assert response.status_code == 200
    assert GENERIC_LOGIN_ERROR in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditLog.objects.filter(action="login").exists()
    assert AuditLog.objects.filter(action="login_failed", detail="账号已锁定").exists()


def test_four_failures_do_not_lock(client, user):
    for _ in range(4):
        _login(client, "county_x", "wrong-password")
    assert _login(client, "county_x", TEST_PASSWORD).status_code == 302


def test_lockout_is_per_account(client, tree, user):
    user_with_role(Role.COUNTY_ADMIN, tree["c1b"], username="county_y")
    for _ in range(5):
        _login(client, "county_x", "wrong-password")
    assert _login(Client(), "county_y", TEST_PASSWORD).status_code == 302


def test_secadmin_unlock_lets_the_user_in_again(client, tree, user):
    for _ in range(5):
        _login(client, "county_x", "wrong-password")
    secadmin = user_with_role(Role.SECADMIN, tree["p"])
    services.account_unlock(actor=secadmin, username="county_x")
    assert _login(Client(), "county_x", TEST_PASSWORD).status_code == 302
    assert AuditLog.objects.filter(action="unlock", object_id="county_x").count() == 1


def test_policy_threshold_applies_to_lockout(client, tree, user):
    secadmin = user_with_role(Role.SECADMIN, tree["p"])
    services.security_policy_update(actor=secadmin, failure_limit=3)
    from dibiao.accounts.policy import forget_policy

    forget_policy()  # on_commit does not fire inside the test transaction
    for _ in range(3):
        _login(client, "county_x", "wrong-password")
    assert _login(client, "county_x", TEST_PASSWORD).status_code == 200


def test_api_token_lockout_gives_same_coded_error(client, user):
    url = "/api/v1/auth/token/"
    for _ in range(5):
        response = client.post(
            url, {"username": "county_x", "password": "bad"}, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_credentials"
    locked = client.post(
        url, {"username": "county_x", "password": TEST_PASSWORD}, content_type="application/json"
    )
    assert locked.status_code == 400
    assert locked.json() == {"code": "invalid_credentials", "message": GENERIC_LOGIN_ERROR}


def _idle_for(client: Client, seconds: int) -> None:
    from dibiao.accounts.middleware import LAST_SEEN_KEY

    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_user_idle_past_the_policy_is_signed_out(client, user):
    _login(client, "county_x", TEST_PASSWORD)
    client.get("/")
    _idle_for(client, 31 * 60)
    response = client.get("/registry/products/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert AuditLog.objects.filter(action="logout", username="county_x").count() == 1


def test_activity_within_the_idle_limit_keeps_the_session(client, user):
    _login(client, "county_x", TEST_PASSWORD)
    client.get("/")
    _idle_for(client, 29 * 60)
    assert client.get("/registry/products/").status_code == 200


def test_session_cookie_ends_with_the_browser(client, user):
    response = _login(client, "county_x", TEST_PASSWORD)
    cookie = response.cookies["sessionid"]
    assert not cookie["max-age"]
    assert not cookie["expires"]


def test_logout_is_audited_and_ends_session(client, user):
    _login(client, "county_x", TEST_PASSWORD)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="logout").count() == 1
    assert client.get("/registry/products/").status_code == 302


def test_inactive_user_cannot_log_in(client, user):
    user.is_active = False
    user.save()
    response = _login(client, "county_x", TEST_PASSWORD)
    assert GENERIC_LOGIN_ERROR in response.content.decode()


def test_session_ends_after_the_absolute_limit_even_when_active(client, user, settings):
    from dibiao.accounts.middleware import STARTED_KEY

    _login(client, "county_x", TEST_PASSWORD)
    client.get("/")
    session = client.session
    session[STARTED_KEY] = int(time.time()) - settings.SESSION_MAX_SECONDS - 1
    session.save()
    assert client.get("/registry/products/").status_code == 302
