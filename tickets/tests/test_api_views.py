"""/api/tickets: the JSON, each verb, the audit it leaves, sessions and tokens, throttling, query counts."""

import datetime

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automation import rulebook
from tickets.api.views import TicketViewSet
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import nothing_stored, stored_json, stored_row, stored_state, trail

pytestmark = pytest.mark.django_db

# The ticket JSON as published: the seed's fields, then what Triage adds.
FIELDS = {
    "id", "title", "description", "status", "priority", "created_at", "updated_at", "assigned_to",
    "source", "external_id", "external_url", "version", "closed_at", "predicted_resolution",
}  # fmt: skip


@pytest.fixture
def alice(api_client, admin_user):
    return api_client(admin_user)


@pytest.fixture
def carol(api_client, support_user):
    return api_client(support_user)


def test_a_created_ticket_comes_back_as_stored_with_the_rules_applied(alice, admin_user):
    response = alice.post("/api/tickets", {"title": " Checkout down ", "priority": "high"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    ticket = Ticket.objects.get()
    assert body["id"] == ticket.pk
    assert body["title"] == "Checkout down"
    assert (body["status"], body["assigned_to"]) == ("in_progress", "Senior Analyst") == (
        ticket.status, ticket.assigned_to
    )  # fmt: skip
    assert (body["source"], body["version"]) == ("api", 1)
    created = datetime.datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() == datetime.timedelta(0) and created == ticket.created_at
    events = list(TicketEvent.objects.filter(ticket_id=ticket.pk))
    assert [(e.kind, e.actor_type, e.actor_name, e.source) for e in events] == [
        ("created", "user", admin_user.username, "api"),
        ("updated", "rule", "High priority → Senior Analyst", "rule"),
    ]


def test_timestamps_carry_the_offset_of_the_time_zone(alice, settings):
    settings.TIME_ZONE = "Europe/Paris"
    TicketFactory(created_at=datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC))
    stamp = alice.get("/api/tickets").json()["results"][0]["created_at"]
    assert stamp == "2026-07-01T14:00:00+02:00"


def test_read_only_fields_in_a_write_are_ignored(alice):
    long_ago = "2001-01-01T00:00:00Z"
    sneaky = {
        "title": "Mine", "id": 999, "created_at": long_ago, "updated_at": long_ago,
        "source": "seed", "version": 77,
    }  # fmt: skip
    response = alice.post("/api/tickets", sneaky, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.pk != 999 and ticket.created_at.year > 2001
    assert (ticket.source, ticket.version) == ("api", 1)
    response = alice.patch(f"/api/tickets/{ticket.pk}", {**sneaky, "title": "Renamed"}, format="json")
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.pk, ticket.title, ticket.source, ticket.version) == (ticket.pk, "Renamed", "api", 2)
    assert ticket.updated_at.year > 2001


def test_put_and_patch_change_only_what_they_name_and_apply_the_rules(alice):
    ticket = TicketFactory(title="Old", description="keep me", priority="medium")
    response = alice.patch(f"/api/tickets/{ticket.pk}", {"priority": "low"}, format="json")
    assert response.status_code == 200
    assert response.json()["assigned_to"] == "SupportBot"
    response = alice.put(f"/api/tickets/{ticket.pk}", {"title": "New", "status": "closed"}, format="json")
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.title, ticket.description, ticket.status, ticket.priority, ticket.assigned_to) == (
        "New", "keep me", "closed", "low", "SupportBot"
    )  # fmt: skip
    assert response.json()["version"] == ticket.version == 3
    assert response.json() == stored_json(ticket.pk)
    assert trail(ticket.pk)[1:] == [
        ("updated", "user", "alice", "api", {"priority": ["medium", "low"]}),
        ("updated", "rule", "Low priority → SupportBot", "rule", {"assigned_to": ["", "SupportBot"]}),
        ("updated", "user", "alice", "api", {"title": ["Old", "New"], "status": ["open", "closed"]}),
    ]


def test_an_update_does_not_undo_a_change_made_since_the_ticket_was_read(alice, monkeypatch):
    ticket = TicketFactory(title="Racing", priority="medium")
    original_get_object = TicketViewSet.get_object

    def get_object_then_someone_else_writes(view):
        read = original_get_object(view)
        Ticket.objects.filter(pk=ticket.pk).update(description="written meanwhile")
        return read

    monkeypatch.setattr(TicketViewSet, "get_object", get_object_then_someone_else_writes)
    assert alice.patch(f"/api/tickets/{ticket.pk}", {"title": "Mine"}, format="json").status_code == 200
    ticket.refresh_from_db()
    assert (ticket.title, ticket.description) == ("Mine", "written meanwhile")


def test_delete_goes_through_the_model_and_keeps_the_trail(alice, admin_user):
    ticket = TicketFactory(title="Spam")
    response = alice.delete(f"/api/tickets/{ticket.pk}")
    assert response.status_code == 204
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    deleted = TicketEvent.objects.filter(ticket_id=ticket.pk).last()
    assert (deleted.kind, deleted.actor_name, deleted.source) == ("deleted", admin_user.username, "api")
    assert alice.get(f"/api/tickets/{ticket.pk}").status_code == 404


def test_history_lists_the_trail_oldest_first(alice, carol, admin_user):
    ticket_id = alice.post("/api/tickets", {"title": "Trail"}, format="json").json()["id"]
    alice.patch(f"/api/tickets/{ticket_id}", {"priority": "high"}, format="json")
    response = carol.get(f"/api/tickets/{ticket_id}/history")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["next"] is None
    first, change, rule = body["results"]
    assert set(first) == {"id", "at", "kind", "actor", "source", "changes", "text"}
    assert first["kind"] == "created"
    assert first["actor"] == {"type": "user", "id": admin_user.pk, "name": admin_user.username}
    assert first["changes"]["title"] == [None, "Trail"]
    assert (change["kind"], change["changes"]) == ("updated", {"priority": ["medium", "high"]})
    assert rule["actor"]["type"] == "rule" and rule["source"] == "rule"
    assert rule["changes"]["assigned_to"] == ["", "Senior Analyst"]
    assert [e["id"] for e in body["results"]] == sorted(e["id"] for e in body["results"])
    assert datetime.datetime.fromisoformat(first["at"]).utcoffset() is not None


def test_history_outlives_the_ticket_and_unknown_ids_are_404(alice):
    ticket = TicketFactory()
    alice.delete(f"/api/tickets/{ticket.pk}")
    kinds = [e["kind"] for e in alice.get(f"/api/tickets/{ticket.pk}/history").json()["results"]]
    assert kinds == ["created", "deleted"]
    for unknown in (ticket.pk + 1, "abc", "9" * 30):
        response = alice.get(f"/api/tickets/{unknown}/history")
        assert response.status_code == 404
        assert response.json() == {"detail": "No ticket has this id."}


def test_history_is_paginated_like_the_list(alice):
    ticket = TicketFactory()
    for n in range(4):
        alice.patch(f"/api/tickets/{ticket.pk}", {"description": f"edit {n}"}, format="json")
    page = alice.get(f"/api/tickets/{ticket.pk}/history?page_size=2&page=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"] and page["previous"]


@pytest.mark.parametrize(
    "path",
    [
        *(
            base + slash
            for base in ("/api/tickets", "/api/tickets/{id}", "/api/tickets/{id}/history")
            for slash in ("", "/")
        ),
        *(base + slash for base in ("/api/schema", "/api/docs") for slash in ("", "/")),
    ],
)
def test_paths_answer_with_and_without_a_trailing_slash(alice, path):
    ticket = TicketFactory()
    response = alice.get(path.format(id=ticket.pk))
    assert response.status_code == 200


def test_writes_answer_with_and_without_a_trailing_slash(alice):
    created = alice.post("/api/tickets/", {"title": "slash"}, format="json")
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    assert created.json() == stored_json(ticket_id)
    changed = alice.patch(f"/api/tickets/{ticket_id}/", {"title": "s"}, format="json")
    assert changed.status_code == 200
    assert changed.json() == stored_json(ticket_id) and changed.json()["title"] == "s"
    assert alice.delete(f"/api/tickets/{ticket_id}/").status_code == 204
    assert stored_row(ticket_id) is None
    assert [(kind, actor, source) for kind, _, actor, source, _ in trail(ticket_id)] == [
        ("created", "alice", "api"), ("updated", "alice", "api"), ("deleted", "alice", "api")
    ]  # fmt: skip


def test_unknown_ids_are_404_in_json(alice):
    for unknown in ("12345", "abc", "9" * 30, "-1"):
        response = alice.get(f"/api/tickets/{unknown}")
        assert response.status_code == 404
        assert response.json() == {"detail": "No ticket has this id."}
    response = alice.patch("/api/tickets/12345", {"title": "x"}, format="json")
    assert response.status_code == 404
    assert stored_state() == nothing_stored()


def test_session_clients_need_the_csrf_token_for_writes(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get("/api/tickets").status_code == 200
    response = client.post("/api/tickets", {"title": "no token"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert stored_state() == nothing_stored()
    client.get("/accounts/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/tickets", {"title": "with token"}, format="json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201
    assert response.json() == stored_json(response.json()["id"]) and response.json()["title"] == "with token"
    assert [event[:4] for event in trail(response.json()["id"])] == [("created", "user", "alice", "api")]


def test_tokens_made_with_drf_create_token_work(admin_user, capsys):
    call_command("drf_create_token", admin_user.username)
    key = Token.objects.get(user=admin_user).key
    assert key in capsys.readouterr().out
    client = APIClient()
    response = client.get("/api/tickets", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200


def test_the_api_is_throttled_per_user_with_retry_after(alice, carol, monkeypatch):
    monkeypatch.setitem(TicketViewSet.throttle_classes[0].THROTTLE_RATES, "api", "2/min")
    assert [alice.get("/api/tickets").status_code for _ in range(3)] == [200, 200, 429]
    refused = alice.post("/api/tickets", {"title": "later"}, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert stored_state() == nothing_stored()
    assert carol.get("/api/tickets").status_code == 200


def test_no_throttle_when_the_rate_is_empty(alice, monkeypatch):
    monkeypatch.setitem(TicketViewSet.throttle_classes[0].THROTTLE_RATES, "api", None)
    assert {alice.get("/api/tickets").status_code for _ in range(5)} == {200}


class TestQueryCounts:
    """A fixed number of queries per request, whatever the number of tickets (no N+1).

    Counted for an analyst (a superuser's role needs no group lookup). In a
    test the transaction is a savepoint; in production it is BEGIN/COMMIT.
    """

    @pytest.fixture
    def bob(self, api_client, analyst_user):
        rulebook.current_rules()  # each process reads the rules once, then keeps them
        return api_client(analyst_user)

    def test_list(self, bob, django_assert_num_queries):
        TicketFactory.create_batch(3)
        with django_assert_num_queries(4):  # token+user, role (groups), count, page
            bob.get("/api/tickets")
        TicketFactory.create_batch(30)
        with django_assert_num_queries(4):
            assert len(bob.get("/api/tickets?status=open&search=e&ordering=-priority").json()["results"]) > 3

    def test_retrieve(self, bob, django_assert_num_queries):
        ticket = TicketFactory()
        with django_assert_num_queries(3):  # token+user, role (groups), ticket
            bob.get(f"/api/tickets/{ticket.pk}")

    def test_create(self, bob, django_assert_num_queries):
        # token, role; savepoint, the ticket, its events, the automation log, the summary's row, release
        with django_assert_num_queries(8):
            response = bob.post("/api/tickets", {"title": "q", "priority": "high"}, format="json")
        assert response.status_code == 201
        assert response.json() == stored_json(response.json()["id"])
        assert [event[:3] for event in trail(response.json()["id"])] == [
            ("created", "user", "bob"), ("updated", "rule", "High priority → Senior Analyst")
        ]  # fmt: skip

    def test_update(self, bob, django_assert_num_queries):
        ticket = TicketFactory()
        # token, role, read; savepoint, lock, update, last hash, events, release (a title is not
        # one of the summary's dimensions: no summary row)
        with django_assert_num_queries(9):
            response = bob.patch(f"/api/tickets/{ticket.pk}", {"title": "changed"}, format="json")
        assert response.status_code == 200
        assert response.json() == stored_json(ticket.pk)
        assert (response.json()["title"], response.json()["version"]) == ("changed", 2)
        assert trail(ticket.pk)[-1] == ("updated", "user", "bob", "api", {"title": [ticket.title, "changed"]})

    def test_history(self, bob, django_assert_num_queries):
        ticket = TicketFactory()
        for n in range(5):
            bob.patch(f"/api/tickets/{ticket.pk}", {"description": str(n)}, format="json")
        with django_assert_num_queries(4):  # token+user, role (groups), count, page
            bob.get(f"/api/tickets/{ticket.pk}/history")


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
def test_the_ticket_json_is_what_drf_would_render_field_by_field(settings, zone):
    from rest_framework.serializers import ModelSerializer

    from tickets.api.serializers import TicketSerializer
    from tickets.extensions import TICKET_FIELDS

    settings.TIME_ZONE = zone
    ticket = TicketFactory(title="Ünïcode", assigned_to="Dana", external_id="X-1", priority="low")
    Ticket.objects.filter(pk=ticket.pk).update(description="  spaced  ")
    ticket.refresh_from_db()
    serializer = TicketSerializer()
    fast = serializer.to_representation(ticket)
    assert fast == ModelSerializer.to_representation(serializer, ticket)
    assert list(fast) == [*TicketSerializer.Meta.fields, *TICKET_FIELDS]
