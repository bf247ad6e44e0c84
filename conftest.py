"""Shared fixtures: the three role personas, logged-in clients, and clean caches per test."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from tickets import roles


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Every test starts with empty caches and reads the automation rules anew.

    A test's rollback can remove rules that this process has cached, so the
    copy is dropped after each test as well. No resolution model is assumed
    trained (no query to look for one) until a test trains or asks for one.
    """
    from automation import rulebook
    from insight import predictions

    cache.clear()
    rulebook.forget_rules()
    predictions.forget(check_now=False)
    yield
    cache.clear()
    rulebook.forget_rules()
    predictions.forget(check_now=False)


def make_user(django_user_model, username: str, role: str | None, **flags):
    user = django_user_model.objects.create_user(username=username, password="pw-for-tests-only", **flags)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def admin_user(django_user_model):
    """Alice, an admin: superuser and staff, in the admin group."""
    return make_user(django_user_model, "alice", roles.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def analyst_user(django_user_model):
    """Bob, an analyst: staff, works tickets in the admin, reads rules."""
    return make_user(django_user_model, "bob", roles.ANALYST, is_staff=True)


@pytest.fixture
def support_user(django_user_model):
    """Carol, support: uses the API and the dashboard, no admin."""
    return make_user(django_user_model, "carol", roles.SUPPORT)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def analyst_client(client, analyst_user):
    client.force_login(analyst_user)
    return client


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def api_client():
    """Make a DRF client for a user, signed in with a real token (`Authorization: Token <key>`).

    `api_client(None)` is an anonymous client.
    """
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
