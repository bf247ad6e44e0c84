"""Faults are honest: with the database unavailable the API answers 503, JSON and Retry-After.

Never a 500 with a traceback, never a 200 that stored nothing. The faults are
met past authentication: the token, the user and the role are read as usual,
and the endpoint's own queries on the ticket tables fail as a lost
connection would (every one of them, or only the writes, so that a write
fails half way through).
"""

from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from config.tests.test_errors import take_database_down
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import nothing_stored, stored_state

pytestmark = pytest.mark.django_db

TICKET_TABLES = ('"tickets"', '"ticket_events"', '"idempotency_keys"', '"automation_logs"')
WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def ticket_tables_unreachable(*, only_writes: bool = False):
    """Fail every statement on the ticket tables (or only writes to them); yield the ones that failed."""
    failed: list[str] = []

    def wrapper(execute, sql, params, many, context):
        touches = any(table in sql for table in TICKET_TABLES)
        if touches and (not only_writes or sql.lstrip().upper().startswith(WRITES)):
            failed.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield failed


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


@pytest.fixture
def admin_token_client(api_client, admin_user):
    client = api_client(admin_user)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "/api/tickets", None),
        ("get", "/api/tickets/{id}", None),
        ("get", "/api/tickets/{id}/history", None),
        ("post", "/api/tickets", {"title": "Lost?"}),
        ("patch", "/api/tickets/{id}", {"title": "Lost?"}),
        ("delete", "/api/tickets/{id}", None),
    ],
)
def test_every_endpoint_answers_503_when_its_own_queries_fail(admin_token_client, method, path, body):
    ticket = TicketFactory(title="Kept")
    before = stored_state()
    with ticket_tables_unreachable() as failed:
        response = getattr(admin_token_client, method)(path.format(id=ticket.pk), body, format="json")
    assert_unavailable(response)
    assert failed, "the fault must be met by the endpoint itself, past authentication"
    assert Ticket.objects.get().title == "Kept"
    assert stored_state() == before


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/api/tickets", {"title": "Half written", "priority": "high"}),
        ("patch", "/api/tickets/{id}", {"title": "Half written", "priority": "high"}),
        ("put", "/api/tickets/{id}", {"title": "Half written", "priority": "low"}),
        ("delete", "/api/tickets/{id}", None),
    ],
)
def test_a_write_that_fails_half_way_is_503_and_leaves_nothing(admin_token_client, method, path, body):
    ticket = TicketFactory(title="Kept", priority="medium")
    before = stored_state()
    with ticket_tables_unreachable(only_writes=True) as failed:
        response = getattr(admin_token_client, method)(path.format(id=ticket.pk), body, format="json")
    assert_unavailable(response)
    assert failed[0].lstrip().upper().startswith(WRITES)
    assert list(Ticket.objects.values_list("title", "priority", "version")) == [("Kept", "medium", 1)]
    assert stored_state() == before


def test_an_audit_insert_that_fails_rolls_back_the_ticket_row_too(token_client):
    def audit_fails(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "ticket_events"'):
            raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(audit_fails):
        assert_unavailable(token_client.post("/api/tickets", {"title": "Half written"}, format="json"))
    assert stored_state() == nothing_stored()


def test_a_session_client_gets_503_when_the_whole_database_is_down(analyst_user, monkeypatch):
    client = APIClient(raise_request_exception=False)
    client.force_login(analyst_user)
    take_database_down(monkeypatch)
    assert_unavailable(client.get("/api/tickets"))
