"""Brute force is stopped: five failures lock a username and address pair for 15 minutes."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def attempts() -> list[tuple]:
    """The failed logins stored per (username, address): what the lock is decided from."""
    rows = AccessAttempt.objects.order_by("id")
    return list(rows.values_list("username", "ip_address", "failures_since_start"))


def logged_in_ever(user) -> bool:
    """Whether the user's row records a login."""
    user.refresh_from_db()
    return user.last_login is not None


def fail(client, path, times=5, address="10.0.0.1"):
    """Fail `times` logins; the fifth failure is the one that locks (and answers 429)."""
    for attempt in range(1, times + 1):
        response = client.post(path, {"username": "bob", "password": "wrong"}, REMOTE_ADDR=address)
        assert response.status_code == (429 if attempt >= 5 else 200)
    return response


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, analyst_user, path):
    fail(client, path)
    response = client.post(path, {"username": "bob", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session
    assert attempts() == [("bob", "10.0.0.1", 6)]  # the refused try counts too
    assert not logged_in_ever(analyst_user)


def test_another_address_or_user_is_not_locked(client, analyst_user, admin_user):
    fail(client, "/accounts/login/")
    other_address = client.post(
        "/accounts/login/", {"username": "bob", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.0.0.2"
    )
    assert other_address.status_code == 302
    client.logout()
    other_user = client.post(
        "/accounts/login/", {"username": "alice", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.0.0.1"
    )
    assert other_user.status_code == 302
    assert attempts() == [("bob", "10.0.0.1", 5)]  # the locked pair stays locked
    assert logged_in_ever(analyst_user) and logged_in_ever(admin_user)


@pytest.fixture
def clock(monkeypatch):
    """A controlled clock for django-axes: `clock.advance(minutes=...)` moves it forward."""
    import axes.attempts
    import axes.handlers.proxy

    class Clock:
        moment = timezone.now()

        def now(self):
            return self.moment

        def advance(self, **delta):
            self.moment += datetime.timedelta(**delta)

    fake = Clock()
    monkeypatch.setattr(axes.attempts, "now", fake.now)
    monkeypatch.setattr(axes.handlers.proxy, "now", fake.now)
    return fake


def test_the_lock_lifts_after_fifteen_minutes(client, analyst_user, clock):
    fail(client, "/accounts/login/")
    clock.advance(minutes=14)
    right = {"username": "bob", "password": "pw-for-tests-only"}
    assert client.post("/accounts/login/", right, REMOTE_ADDR="10.0.0.1").status_code == 429
    # A try during the lockout starts the 15 minutes again.
    clock.advance(minutes=14)
    assert client.post("/accounts/login/", right, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert not logged_in_ever(analyst_user)
    clock.advance(minutes=16)
    assert client.post("/accounts/login/", right, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert attempts() == [] and logged_in_ever(analyst_user)


def test_four_failures_then_success_resets_the_count(client, analyst_user):
    fail(client, "/accounts/login/", times=4)
    ok = client.post(
        "/accounts/login/", {"username": "bob", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.0.0.1"
    )
    assert ok.status_code == 302
    assert attempts() == []
    client.logout()
    fail(client, "/accounts/login/", times=4)
    assert attempts() == [("bob", "10.0.0.1", 4)]
    again = client.post(
        "/accounts/login/", {"username": "bob", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.0.0.1"
    )
    assert again.status_code == 302
    assert attempts() == []
