"""PagerDuty incidents: triggered, acknowledged, resolved and reopened, kept in step with one ticket.

Deliveries are the documented v3 payloads, signed as PagerDuty signs them.
"""

import logging

import pytest

from automation.models import WebhookDelivery
from intake.models import ExternalTicket
from intake.tests.senders import fixture, to_pagerduty
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_update

pytestmark = pytest.mark.django_db


def triggered(urgency="high"):
    payload = fixture("pagerduty-incident-triggered")
    payload["event"]["data"]["urgency"] = urgency
    return payload


def test_a_triggered_incident_becomes_a_ticket(client, pagerduty):
    response = to_pagerduty(client, pagerduty, triggered())
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.external_id, ticket.external_url) == (
        "Payments API error rate above 5%", "Q2X8KZ4W1MNB7T", "https://acme.pagerduty.com/incidents/Q2X8KZ4W1MNB7T"
    )  # fmt: skip
    assert ticket.description == "PagerDuty incident #1207 on Payments API."
    # High urgency is high priority, which the seed rule routes.
    assert (ticket.priority, ticket.status, ticket.assigned_to) == ("high", "in_progress", "Senior Analyst")
    assert WebhookDelivery.objects.get().webhook_id == "01DEN3V9JQ2C8B7X6W5V4U3T2S"


@pytest.mark.parametrize("urgency", ["low", "", None])
def test_an_incident_of_any_other_urgency_is_medium(client, pagerduty, urgency):
    to_pagerduty(client, pagerduty, triggered(urgency))
    assert Ticket.objects.get().priority == "medium"


def test_an_acknowledgement_puts_it_in_progress_and_assigns_whoever_acknowledged(client, pagerduty):
    to_pagerduty(client, pagerduty, triggered("low"))
    response = to_pagerduty(client, pagerduty, fixture("pagerduty-incident-acknowledged"))
    ticket = Ticket.objects.get()
    assert response.json()["updated"] == [ticket.pk]
    assert (ticket.status, ticket.assigned_to) == ("in_progress", "Robin Okafor")
    assert ExternalTicket.objects.get().sender_state == "acknowledged"


def test_an_acknowledgement_replaces_a_bot_but_keeps_a_person(client, pagerduty, admin_user):
    from tickets.audit import Actor

    to_pagerduty(client, pagerduty, triggered("low"))
    ticket = Ticket.objects.get()
    ticket_update(ticket, actor=Actor.for_user(admin_user), source="api", assigned_to="SupportBot")
    to_pagerduty(client, pagerduty, fixture("pagerduty-incident-acknowledged"))
    ticket.refresh_from_db()
    assert ticket.assigned_to == "Robin Okafor"
    ticket_update(ticket, actor=Actor.for_user(admin_user), source="api", assigned_to="Dana", status="open")
    to_pagerduty(client, pagerduty, fixture("pagerduty-incident-acknowledged"), event_id="another-event")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assigned_to) == ("in_progress", "Dana")


def test_resolved_closes_and_reopened_reopens(client, pagerduty):
    to_pagerduty(client, pagerduty, triggered())
    to_pagerduty(client, pagerduty, fixture("pagerduty-incident-resolved"))
    ticket = Ticket.objects.get()
    assert ticket.status == "closed"
    to_pagerduty(client, pagerduty, fixture("pagerduty-incident-reopened"))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == ("open", None)


def test_a_change_the_business_rule_refuses_is_skipped_logged_and_answered_200(
    client, pagerduty, admin_user, caplog
):
    from tickets.audit import Actor

    to_pagerduty(client, pagerduty, triggered("low"))
    ticket = Ticket.objects.get()
    ticket_update(ticket, actor=Actor.for_user(admin_user), source="api", priority="low")
    version, events = ticket.version, TicketEvent.objects.count()
    ack = fixture("pagerduty-incident-acknowledged")
    ack["event"]["agent"] = None  # acknowledged by an API client: nobody to assign
    with caplog.at_level(logging.WARNING, logger="intake.sync"):
        response = to_pagerduty(client, pagerduty, ack)
    assert response.status_code == 200
    assert response.json() == {"created": [], "updated": [], "unchanged": [ticket.pk]}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == ("open", version) and TicketEvent.objects.count() == events
    delivery = WebhookDelivery.objects.latest("id")
    assert delivery.outcome == "accepted" and "skipped ticket #" in delivery.reason
    assert "A low-priority ticket cannot be in progress" in delivery.reason
    assert "skipped ticket" in caplog.text
    # The sender's own state is still recorded: it did acknowledge.
    assert ExternalTicket.objects.get().sender_state == "acknowledged"


def test_any_of_several_signatures_verifies_while_pagerduty_rotates_its_secret(client, pagerduty):
    response = to_pagerduty(client, pagerduty, triggered(), secrets=["the previous secret", pagerduty.secret])
    assert response.status_code == 201


def test_the_same_event_id_again_is_a_replay(client, pagerduty):
    first = to_pagerduty(client, pagerduty, triggered())
    again = to_pagerduty(client, pagerduty, triggered("low"))  # a retry is the same event; the first counts
    assert again.status_code == 200
    assert again.json() == {"created": [], "updated": [], "unchanged": first.json()["created"]}
    assert Ticket.objects.get().priority == "high"


@pytest.mark.parametrize("name", ["acknowledged", "resolved", "reopened"])
def test_events_about_an_incident_never_seen_create_nothing(client, pagerduty, name):
    response = to_pagerduty(client, pagerduty, fixture(f"pagerduty-incident-{name}"))
    assert response.status_code == 200 and response.json()["created"] == []
    assert not Ticket.objects.exists() and not ExternalTicket.objects.exists()


def test_the_test_event_is_answered_200(client, pagerduty):
    response = to_pagerduty(client, pagerduty, fixture("pagerduty-pagey-ping"))
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert WebhookDelivery.objects.get().reason == "ping"


def test_event_types_it_does_not_handle_are_202(client, pagerduty):
    to_pagerduty(client, pagerduty, triggered())
    response = to_pagerduty(client, pagerduty, fixture("pagerduty-incident-annotated"))
    assert response.status_code == 202
    assert WebhookDelivery.objects.latest("id").outcome == "ignored"
    assert Ticket.objects.get().version == 1


def test_an_agent_name_longer_than_an_assignee_is_cut(client, pagerduty):
    to_pagerduty(client, pagerduty, triggered("low"))
    ack = fixture("pagerduty-incident-acknowledged")
    ack["event"]["agent"]["summary"] = "R" * 150
    to_pagerduty(client, pagerduty, ack)
    assert Ticket.objects.get().assigned_to == "R" * 100
