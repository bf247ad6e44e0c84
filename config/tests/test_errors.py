"""Faults are honest: a database outage is a 503 with Retry-After, never a traceback."""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client


def take_database_down(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    monkeypatch.setattr(BaseDatabaseWrapper, "_cursor", refuse)


@pytest.fixture
def database_down(monkeypatch):
    take_database_down(monkeypatch)


@pytest.mark.django_db
def test_an_html_page_answers_503_when_the_database_is_down(admin_user, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    take_database_down(monkeypatch)
    response = client.get("/admin/tickets/ticket/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Temporarily unavailable" in response.content


def test_the_health_check_reports_503(database_down):
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 503
