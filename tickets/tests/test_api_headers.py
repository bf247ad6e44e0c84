"""ETag and If-Match: no lost updates. A stale tag is a 412 with a JSON body, and nothing is written.

If-Match is optional (clients that never send it keep working, last writer
wins field by field); a client that sends it gets RFC 9110's strong
comparison, checked against the locked row inside the write's transaction.
"""

import pytest

from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import nothing_stored, stored_json, stored_state, trail

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(api_client, admin_user):
    return api_client(admin_user)


@pytest.fixture
def ticket():
    return TicketFactory(title="Printer on fire", priority="medium", assigned_to="Dana")


def test_a_ticket_answers_with_its_version_as_a_strong_etag(alice, ticket):
    response = alice.get(f"/api/tickets/{ticket.pk}")
    assert response["ETag"] == '"1"' and response.json()["version"] == 1
    changed = alice.patch(f"/api/tickets/{ticket.pk}", {"title": "Printer fixed"}, format="json")
    assert changed["ETag"] == '"2"' == f'"{changed.json()["version"]}"'
    assert changed.json() == stored_json(ticket.pk)
    created = alice.post("/api/tickets", {"title": "New"}, format="json")
    assert created["ETag"] == '"1"'
    assert created["Location"] == f"/api/tickets/{created.json()['id']}"
    assert created.json() == stored_json(created.json()["id"]) and created.json()["version"] == 1


def test_a_write_with_the_etag_just_read_goes_through(alice, ticket):
    etag = alice.get(f"/api/tickets/{ticket.pk}")["ETag"]
    response = alice.patch(
        f"/api/tickets/{ticket.pk}", {"status": "closed"}, format="json", headers={"If-Match": etag}
    )
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert response.json() == stored_json(ticket.pk)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_stale_etag_is_412_with_the_current_one_and_nothing_is_written(alice, ticket, method):
    stale = alice.get(f"/api/tickets/{ticket.pk}")["ETag"]
    alice.patch(f"/api/tickets/{ticket.pk}", {"description": "someone else's change"}, format="json")
    before = stored_state()
    response = getattr(alice, method)(
        f"/api/tickets/{ticket.pk}", {"title": "Mine"}, format="json", headers={"If-Match": stale}
    )
    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    assert set(response.json()) == {"detail"} and 'ETag "2"' in response.json()["detail"]
    assert stored_state() == before


def test_a_stale_etag_is_refused_even_when_the_change_would_change_nothing(alice, ticket):
    alice.patch(f"/api/tickets/{ticket.pk}", {"description": "moved on"}, format="json")
    before = stored_state()
    response = alice.patch(
        f"/api/tickets/{ticket.pk}", {"title": ticket.title}, format="json", headers={"If-Match": '"1"'}
    )
    assert response.status_code == 412
    assert stored_state() == before


@pytest.mark.parametrize(
    "if_match, status",
    [
        ("*", 200),  # any version: the ticket only has to exist
        ('"3", "2"', 200),  # a list: one of them is the current version
        ('W/"2"', 412),  # weak tags never match under If-Match (RFC 9110 strong comparison)
        ('"two"', 412),  # not one of our tags
        ("2", 412),  # not an entity tag at all
        ("", 412),
    ],
)
def test_if_match_follows_rfc_9110(alice, ticket, if_match, status):
    alice.patch(f"/api/tickets/{ticket.pk}", {"description": "now at version 2"}, format="json")
    before = stored_state()
    response = alice.patch(
        f"/api/tickets/{ticket.pk}", {"status": "closed"}, format="json", headers={"If-Match": if_match}
    )
    assert response.status_code == status, response.content
    assert Ticket.objects.get(pk=ticket.pk).status == ("closed" if status == 200 else "open")
    if status == 200:
        assert response.json() == stored_json(ticket.pk) and response.json()["version"] == 3
    else:
        assert stored_state() == before


def test_if_match_is_optional_and_without_it_the_last_writer_wins(alice, ticket):
    alice.patch(f"/api/tickets/{ticket.pk}", {"title": "First"}, format="json")
    response = alice.patch(f"/api/tickets/{ticket.pk}", {"title": "Second"}, format="json")
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).title == "Second"


def test_an_unknown_ticket_is_404_whatever_if_match_says(alice):
    response = alice.patch("/api/tickets/999", {"title": "x"}, format="json", headers={"If-Match": '"1"'})
    assert response.status_code == 404
    assert stored_state() == nothing_stored()


def test_a_ticket_deleted_between_read_and_write_is_404_not_a_resurrection(alice, ticket, monkeypatch):
    from tickets.api.views import TicketViewSet

    read = TicketViewSet.get_object

    def read_then_someone_deletes(view):
        found = read(view)
        Ticket.objects.filter(pk=found.pk).delete()
        return found

    monkeypatch.setattr(TicketViewSet, "get_object", read_then_someone_deletes)
    response = alice.patch(f"/api/tickets/{ticket.pk}", {"title": "Too late"}, format="json")
    assert response.status_code == 404
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert [event[0] for event in trail(ticket.pk)] == ["created", "deleted"]  # no update, no second create


def test_the_schema_documents_etag_and_if_match(client):
    paths = client.get("/api/schema").json()["paths"]
    one = paths["/api/tickets/{id}"]
    assert "ETag" in one["get"]["responses"]["200"]["headers"]
    for method in ("put", "patch", "delete"):
        assert "If-Match" in {p["name"] for p in one[method]["parameters"]}
        assert "412" in one[method]["responses"]
