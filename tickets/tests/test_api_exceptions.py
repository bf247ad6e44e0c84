"""Faults are honest: with the database unavailable the API answers 503, JSON and Retry-After.

Never a 500 with a traceback, never a 200 that stored nothing. The fault is
injected the way config/tests/test_errors.py does it: every connection
attempt and cursor raises OperationalError.
"""

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from config.tests.test_errors import take_database_down
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database is unavailable; nothing was stored. Retry later."}


@pytest.fixture
def token_client(api_client, analyst_user):
    client = api_client(analyst_user)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "/api/tickets", None),
        ("get", "/api/tickets/1", None),
        ("get", "/api/tickets/1/history", None),
        ("post", "/api/tickets", {"title": "Lost?"}),
        ("patch", "/api/tickets/1", {"title": "Lost?"}),
        ("delete", "/api/tickets/1", None),
    ],
)
def test_every_endpoint_answers_503_when_the_database_is_down(token_client, monkeypatch, method, path, body):
    take_database_down(monkeypatch)
    assert_unavailable(getattr(token_client, method)(path, body, format="json"))


def test_a_session_client_gets_503_too(analyst_user, monkeypatch):
    client = APIClient(raise_request_exception=False)
    client.force_login(analyst_user)
    take_database_down(monkeypatch)
    assert_unavailable(client.get("/api/tickets"))


def test_a_database_failure_in_the_middle_of_a_write_is_503_and_leaves_nothing(token_client, monkeypatch):
    from tickets import events

    def disk_gone(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(events, "record_save", disk_gone)  # the ticket row is written, its audit is not
    assert_unavailable(token_client.post("/api/tickets", {"title": "Half written"}, format="json"))
    monkeypatch.undo()
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0
