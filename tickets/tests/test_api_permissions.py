"""The API's role rules in detail: messages, values sent back, concurrent changes.

Who gets which status for every endpoint and role is the access matrix,
config/tests/test_authorization.py; this file keeps what a status alone cannot show.
"""

import pytest

from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import stored_json, stored_state, trail

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(request, api_client, django_user_model):
    """A token client for one of the personas, or an anonymous one."""

    def make(role: str):
        if role == "anonymous":
            return api_client(None)
        persona = {"admin": "admin_user", "analyst": "analyst_user", "support": "support_user"}[role]
        return api_client(request.getfixturevalue(persona))

    return make


@pytest.fixture
def ticket():
    return TicketFactory(title="Printer on fire", priority="medium", assigned_to="Dana")


def test_support_may_create_unassigned_tickets_and_the_rules_may_assign_them(client_for):
    response = client_for("support").post(
        "/api/tickets", {"title": "Slow VPN", "priority": "low", "assigned_to": ""}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["assigned_to"] == "SupportBot"
    assert response.json() == stored_json(response.json()["id"])
    assert [event[:4] for event in trail(response.json()["id"])] == [
        ("created", "user", "carol", "api"), ("updated", "rule", "Low priority → SupportBot", "rule")
    ]  # fmt: skip


def test_a_refusal_names_the_fields_and_writes_nothing(client_for, ticket):
    before = stored_state()
    response = client_for("support").patch(
        f"/api/tickets/{ticket.pk}", {"title": "Also renamed", "priority": "high", "assigned_to": "Eve"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role (support) may not change priority or assigned_to."}
    assert stored_state() == before


def test_a_bad_token_gets_401_even_with_a_valid_session(client, admin_user, ticket):
    before = stored_state()
    client.force_login(admin_user)
    assert client.get("/api/tickets").status_code == 200
    response = client.get("/api/tickets", headers={"Authorization": "Token not-a-real-token"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert (
        client.delete(f"/api/tickets/{ticket.pk}", headers={"Authorization": "Token nope"}).status_code == 401
    )
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert stored_state() == before


def test_a_value_sent_back_unchanged_does_not_undo_a_concurrent_change(client_for, ticket, monkeypatch):
    """Support may send the priority it read; if an analyst changed it meanwhile, that change stays."""
    from tickets.api.views import TicketViewSet

    original_get_object = TicketViewSet.get_object

    def read_then_an_analyst_escalates(view):
        read = original_get_object(view)
        Ticket.objects.filter(pk=ticket.pk).update(priority="high")
        return read

    monkeypatch.setattr(TicketViewSet, "get_object", read_then_an_analyst_escalates)
    response = client_for("support").put(
        f"/api/tickets/{ticket.pk}",
        {"title": "Printer fixed", "priority": "medium", "assigned_to": "Dana"},
        format="json",
    )
    assert response.status_code == 200
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.title, stored.priority) == ("Printer fixed", "high")
    assert response.json() == stored_json(ticket.pk)
