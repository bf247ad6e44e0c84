"""Health check, login and logout pages, and the root redirect."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_health_answers_without_a_redirect(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_health_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_login_page_logs_in_and_logout_logs_out(client, analyst_user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b'name="username"' in page.content
    response = client.post("/accounts/login/", {"username": "bob", "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(analyst_user.pk)
    analyst_user.refresh_from_db()
    assert analyst_user.last_login is not None
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_refused_on_the_page(client, analyst_user):
    response = client.post("/accounts/login/", {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content
    assert "_auth_user_id" not in client.session
    analyst_user.refresh_from_db()
    assert analyst_user.last_login is None
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [("bob", 1)]


def test_root_redirects_to_the_dashboard(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_oversized_bodies_get_413_before_anything_runs(client, settings):
    response = client.post(
        "/accounts/login/", data="x" * (settings.TRIAGE_MAX_BODY_BYTES + 1), content_type="text/plain"
    )
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert not AccessAttempt.objects.exists()  # refused before the login form ran


def test_pages_carry_security_headers(client):
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_adds_hsts_and_keeps_the_session_cookie_from_scripts_and_plain_http(client, settings):
    """The values `DJANGO_SECURE_SSL` sets (`check --deploy` in config/tests/test_production.py fails
    without them), seen on the wire over HTTPS."""
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    get_user_model().objects.create_user("dana", password="a long enough password")

    page = client.get("/accounts/login/", secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    login = client.post(
        "/accounts/login/", {"username": "dana", "password": "a long enough password"}, secure=True
    )
    assert login.status_code == 302
    session = login.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
