"""GitHub issues: opened creates, edited updates, closed closes, reopened reopens; ping and others do nothing.

Deliveries are the documented payloads, signed as GitHub signs them; each case reads back what is stored.
"""

import json
from urllib.parse import urlencode

import pytest

from automation.models import WebhookDelivery
from intake.models import ExternalTicket
from intake.signatures import github_signature
from intake.tests.senders import fixture, to_github
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_an_opened_issue_becomes_a_ticket_linked_back_to_it(client, github):
    response = to_github(
        client, github, fixture("github-issues-opened"), delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958"
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {"created": [ticket.pk], "updated": [], "unchanged": []}
    assert (ticket.title, ticket.external_id, ticket.external_url) == (
        "Checkout returns 502 for EU customers", "acme/api#42", "https://github.com/acme/api/issues/42"
    )  # fmt: skip
    assert ticket.description == "Since 09:10 UTC every checkout from the EU region fails with a 502."
    assert (ticket.priority, ticket.status, ticket.source) == ("medium", "open", "webhook")
    assert ExternalTicket.objects.get().external_id == "acme/api#42"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.source, delivery.webhook_id, delivery.ticket_id, delivery.outcome) == (
        "github", "72d3162e-cc78-11e3-81ab-4c9367dc0958", ticket.pk, "accepted"
    )  # fmt: skip


def test_an_edit_updates_the_title_and_description_in_the_audit_trail(client, github):
    to_github(client, github, fixture("github-issues-opened"))
    response = to_github(client, github, fixture("github-issues-edited"))
    ticket = Ticket.objects.get()
    assert response.status_code == 200 and response.json()["updated"] == [ticket.pk]
    assert ticket.title == "Checkout returns 502 for EU and UK customers" and ticket.version == 2
    event = TicketEvent.objects.filter(ticket_id=ticket.pk).latest("id")
    assert (event.kind, event.actor_name, sorted(event.changes)) == (
        "updated",
        "acme-api",
        ["description", "title"],
    )


def test_closed_closes_and_reopened_reopens(client, github):
    to_github(client, github, fixture("github-issues-opened"))
    assert to_github(client, github, fixture("github-issues-closed")).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.status == "closed" and ticket.closed_at is not None
    assert to_github(client, github, fixture("github-issues-reopened")).json()["updated"] == [ticket.pk]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == ("open", None)
    assert ExternalTicket.objects.get().sender_state == "open"


def test_a_ticket_a_person_closed_is_reopened_when_the_issue_is_reopened(client, github):
    to_github(client, github, fixture("github-issues-opened"))
    ticket = Ticket.objects.get()
    ticket.status = "closed"
    ticket.save()
    assert to_github(client, github, fixture("github-issues-reopened")).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_opened_again_for_a_known_issue_changes_nothing(client, github):
    to_github(client, github, fixture("github-issues-opened"))
    events = TicketEvent.objects.count()
    response = to_github(client, github, fixture("github-issues-opened"))  # a new delivery id
    assert response.status_code == 200 and response.json()["unchanged"] == [Ticket.objects.get().pk]
    assert Ticket.objects.count() == 1 and TicketEvent.objects.count() == events


def test_ping_is_answered_200_and_writes_only_the_log(client, github):
    response = to_github(client, github, fixture("github-ping"), event="ping")
    assert response.status_code == 200
    assert response.json() == {"created": [], "updated": [], "unchanged": []}
    assert not Ticket.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.reason) == ("accepted", 200, "ping")


@pytest.mark.parametrize(
    "fixture_name, event, reason",
    [
        ("github-issues-labeled", "issues", "GitHub issues action 'labeled' is not handled"),
        ("github-issues-opened", "push", "GitHub event 'push' is not handled"),
        ("github-issues-opened", "issue_comment", "GitHub event 'issue_comment' is not handled"),
    ],
)
def test_events_and_actions_it_does_not_handle_are_202_and_change_nothing(
    client, github, fixture_name, event, reason
):
    response = to_github(client, github, fixture(fixture_name), event=event)
    assert response.status_code == 202
    assert response.json()["detail"] == f"{reason}; nothing changed."
    assert not Ticket.objects.exists() and not ExternalTicket.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.reason) == ("ignored", 202, reason)


@pytest.mark.parametrize("name", ["github-issues-edited", "github-issues-closed", "github-issues-reopened"])
def test_events_about_an_issue_never_seen_create_nothing(client, github, name):
    response = to_github(client, github, fixture(name))
    assert response.status_code == 200
    assert response.json() == {"created": [], "updated": [], "unchanged": []}
    assert not Ticket.objects.exists() and not ExternalTicket.objects.exists()


def test_a_redelivery_is_a_replay(client, github):
    first = to_github(client, github, fixture("github-issues-opened"), delivery="d-1")
    again = to_github(client, github, fixture("github-issues-opened"), delivery="d-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"created": [], "updated": [], "unchanged": first.json()["created"]}
    assert list(WebhookDelivery.objects.order_by("id").values_list("outcome", flat=True)) == [
        "accepted",
        "replayed",
    ]


def test_a_form_encoded_delivery_is_read_from_its_payload_field(client, github):
    body = urlencode({"payload": json.dumps(fixture("github-issues-opened"))}).encode()
    headers = {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "form-1",
        "X-Hub-Signature-256": github_signature(github.secret, body),
    }
    response = client.post(
        f"/webhook/github/{github.name}",
        body,
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
    assert response.status_code == 201 and Ticket.objects.get().external_id == "acme/api#42"


def test_a_long_title_is_cut_to_200_characters(client, github):
    payload = fixture("github-issues-opened")
    payload["issue"]["title"] = "T" * 256
    payload["issue"]["body"] = None
    assert to_github(client, github, payload).status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description) == ("T" * 200, "")
