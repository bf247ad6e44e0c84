"""SPEC.md's roles table over the API, row by row; a refused request writes nothing."""

import pytest

from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ROLES = ("admin", "analyst", "support", "anonymous")


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


def stored(ticket: Ticket) -> dict:
    """The ticket's row and the size of its trail, to prove a refusal wrote nothing."""
    row = Ticket.objects.filter(pk=ticket.pk).values().first()
    return {"row": row, "events": TicketEvent.objects.filter(ticket_id=ticket.pk).count()}


# Each row: (capability, {role: status}), as in SPEC.md's table.
TABLE = [
    ("list and read tickets", {"admin": 200, "analyst": 200, "support": 200, "anonymous": 401}),
    ("create tickets", {"admin": 201, "analyst": 201, "support": 201, "anonymous": 401}),
    ("change title, description, status", {"admin": 200, "analyst": 200, "support": 200, "anonymous": 401}),
    ("change priority", {"admin": 200, "analyst": 200, "support": 403, "anonymous": 401}),
    ("change assigned_to", {"admin": 200, "analyst": 200, "support": 403, "anonymous": 401}),
    ("set priority on create", {"admin": 201, "analyst": 201, "support": 201, "anonymous": 401}),
    ("set assigned_to on create", {"admin": 201, "analyst": 201, "support": 403, "anonymous": 401}),
    ("delete tickets", {"admin": 204, "analyst": 403, "support": 403, "anonymous": 401}),
]


def attempt(client, capability: str, ticket: Ticket):
    url = f"/api/tickets/{ticket.pk}"
    if capability == "list and read tickets":
        listed = client.get("/api/tickets")
        read = client.get(url)
        assert listed.status_code == read.status_code
        return read
    if capability == "create tickets":
        return client.post("/api/tickets", {"title": "New"}, format="json")
    if capability == "change title, description, status":
        return client.patch(url, {"title": "Renamed", "description": "x", "status": "closed"}, format="json")
    if capability == "change priority":
        return client.patch(url, {"priority": "low"}, format="json")
    if capability == "change assigned_to":
        return client.put(url, {"title": ticket.title, "assigned_to": "Eve"}, format="json")
    if capability == "set priority on create":
        return client.post("/api/tickets", {"title": "New", "priority": "low"}, format="json")
    if capability == "set assigned_to on create":
        return client.post("/api/tickets", {"title": "New", "assigned_to": "Eve"}, format="json")
    if capability == "delete tickets":
        return client.delete(url)
    raise AssertionError(capability)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("capability, statuses", TABLE, ids=[row[0] for row in TABLE])
def test_the_roles_table(client_for, ticket, capability, statuses, role):
    before = stored(ticket)
    tickets_before = Ticket.objects.count()
    response = attempt(client_for(role), capability, ticket)
    assert response.status_code == statuses[role], response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"detail"}
        assert stored(ticket) == before
        assert Ticket.objects.count() == tickets_before


def test_support_may_send_the_stored_priority_and_assignee_back(client_for, ticket):
    response = client_for("support").put(
        f"/api/tickets/{ticket.pk}",
        {"title": "Printer fixed", "priority": "medium", "assigned_to": " Dana ", "status": "closed"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_support_may_create_unassigned_tickets_and_the_rules_may_assign_them(client_for):
    response = client_for("support").post(
        "/api/tickets", {"title": "Slow VPN", "priority": "low", "assigned_to": ""}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["assigned_to"] == "SupportBot"


def test_a_refusal_names_the_fields_and_writes_nothing(client_for, ticket):
    before = stored(ticket)
    response = client_for("support").patch(
        f"/api/tickets/{ticket.pk}", {"title": "Also renamed", "priority": "high", "assigned_to": "Eve"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role (support) may not change priority or assigned_to."}
    assert stored(ticket) == before


def test_an_analyst_may_not_delete_and_the_ticket_stays(client_for, ticket):
    response = client_for("analyst").delete(f"/api/tickets/{ticket.pk}")
    assert response.status_code == 403
    assert "Only admins" in response.json()["detail"]
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_a_user_without_a_role_gets_403_everywhere(api_client, django_user_model, ticket):
    client = api_client(django_user_model.objects.create_user("dave"))
    before = stored(ticket)
    answers = [
        client.get("/api/tickets"),
        client.get(f"/api/tickets/{ticket.pk}"),
        client.get(f"/api/tickets/{ticket.pk}/history"),
        client.post("/api/tickets", {"title": "x"}, format="json"),
        client.patch(f"/api/tickets/{ticket.pk}", {"title": "x"}, format="json"),
        client.delete(f"/api/tickets/{ticket.pk}"),
    ]
    assert [answer.status_code for answer in answers] == [403] * 6
    assert "no role" in answers[0].json()["detail"]
    assert stored(ticket) == before


def test_a_bad_token_gets_401_even_with_a_valid_session(client, admin_user, ticket):
    client.force_login(admin_user)
    assert client.get("/api/tickets").status_code == 200
    response = client.get("/api/tickets", headers={"Authorization": "Token not-a-real-token"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert (
        client.delete(f"/api/tickets/{ticket.pk}", headers={"Authorization": "Token nope"}).status_code == 401
    )
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_anonymous_requests_get_401_with_a_challenge(api_client, ticket):
    response = api_client(None).get(f"/api/tickets/{ticket.pk}/history")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


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
