"""POST /webhook/ticket: accept, replay, tamper, clock skew, rotation, inactive senders, bad bodies.

Every case checks the tickets and the delivery log as stored, not only the status code.
"""

import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from standardwebhooks import Webhook

from automation import signatures
from automation.models import WebhookDelivery
from automation.views import IntegrationRateThrottle
from automation.webhook import integration_save_secret
from tickets.models import Ticket, TicketEvent
from tickets.tests.stored import nothing_stored, stored_json, stored_state
from tickets.tests.strategies import FUZZ, JSON_VALUES, TICKET_LIKE

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    integration, _ = integration_save_secret(name="acme-monitoring")
    return integration


@pytest.fixture
def deliver(client):
    """POST a delivery signed with `secret` (or with the headers given) and return the response."""

    def post(
        payload,
        *,
        secret,
        webhook_id="msg_1",
        timestamp=None,
        signature=None,
        path="/webhook/ticket",
        raw=None,
    ):
        body = raw if raw is not None else json.dumps(payload).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = signature or signatures.sign(secret, webhook_id, timestamp, body)
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }
        return client.post(path, body, content_type="application/json", headers=headers)

    return post


def deliveries() -> list[tuple]:
    return list(
        WebhookDelivery.objects.order_by("id").values_list(
            "outcome", "status_code", "integration__name", "ticket_id"
        )
    )


def test_a_signed_delivery_creates_a_ticket_with_the_rules_applied(deliver, acme):
    payload = {"title": "Disk full on db-3", "description": "95%", "priority": "high", "external_id": "INC-7"}
    response = deliver(payload, secret=acme.secret)
    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get()
    assert body["id"] == ticket.pk and body["source"] == "webhook" == ticket.source
    assert body == stored_json(ticket.pk)
    assert (ticket.title, ticket.description, ticket.external_id) == ("Disk full on db-3", "95%", "INC-7")
    assert (ticket.status, ticket.assigned_to) == ("in_progress", "Senior Analyst")
    created = TicketEvent.objects.filter(ticket_id=ticket.pk).first()
    assert (created.actor_type, created.actor_id, created.actor_name, created.source) == (
        "integration", acme.pk, "acme-monitoring", "webhook"
    )  # fmt: skip
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.integration, delivery.ticket_id) == (
        "accepted", 201, acme, ticket.pk
    )  # fmt: skip
    assert delivery.webhook_id == "msg_1" and delivery.reason == ""
    assert delivery.body_bytes == len(json.dumps(payload)) and len(delivery.body_sha256) == 64
    assert abs((delivery.signed_at - datetime.now(tz=UTC)).total_seconds()) < 60


def test_the_reference_library_can_sign_deliveries(client, acme):
    body = json.dumps({"title": "From the reference library"})
    sent_at = datetime.now(tz=UTC)
    headers = {
        "webhook-id": "msg_ref",
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(acme.secret).sign("msg_ref", sent_at, body),
    }
    response = client.post("/webhook/ticket/", body, content_type="application/json", headers=headers)
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.title == "From the reference library" and response.json() == stored_json(ticket.pk)
    assert deliveries() == [("accepted", 201, "acme-monitoring", ticket.pk)]


def test_status_ids_and_timestamps_are_never_taken_from_the_sender(deliver, acme):
    payload = {
        "title": "Sneaky", "status": "closed", "id": 4242, "created_at": "2001-01-01T00:00:00Z",
        "updated_at": "2001-01-01T00:00:00Z", "version": 9, "source": "admin", "colour": "red",
    }  # fmt: skip
    assert deliver(payload, secret=acme.secret).status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.source, ticket.version) == ("open", "webhook", 1)
    assert ticket.pk != 4242 and ticket.created_at.year > 2001


def test_a_repeat_returns_the_first_ticket_and_creates_nothing(deliver, acme):
    first = deliver({"title": "Once"}, secret=acme.secret)
    again = deliver({"title": "Once"}, secret=acme.secret)
    changed = deliver({"title": "Twice?"}, secret=acme.secret)
    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 200)
    assert first.json() == again.json() == changed.json()
    assert Ticket.objects.count() == 1
    ticket_id = first.json()["id"]
    assert deliveries() == [
        ("accepted", 201, "acme-monitoring", ticket_id),
        ("replayed", 200, "acme-monitoring", ticket_id),
        ("replayed", 200, "acme-monitoring", ticket_id),
    ]
    reasons = list(WebhookDelivery.objects.order_by("id").values_list("reason", flat=True))
    assert "body differs" not in reasons[1] and "body differs" in reasons[2]


def test_a_repeat_answers_with_the_ticket_as_it_is_now(deliver, acme, api_client, admin_user):
    ticket_id = deliver({"title": "Once"}, secret=acme.secret).json()["id"]
    api_client(admin_user).patch(f"/api/tickets/{ticket_id}", {"status": "closed"}, format="json")
    assert deliver({"title": "Once"}, secret=acme.secret).json()["status"] == "closed"
    Ticket.objects.get(pk=ticket_id).delete()
    gone = deliver({"title": "Once"}, secret=acme.secret)
    assert gone.status_code == 200 and gone.json()["id"] == ticket_id
    assert "deleted" in gone.json()["detail"] and Ticket.objects.count() == 0


def test_webhook_ids_are_per_integration(deliver, acme):
    other, _ = integration_save_secret(name="billing")
    assert deliver({"title": "A"}, secret=acme.secret).status_code == 201
    assert deliver({"title": "B"}, secret=other.secret).status_code == 201
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["A", "B"]
    a, b = (Ticket.objects.get(title=title).pk for title in ("A", "B"))
    assert deliveries() == [("accepted", 201, "acme-monitoring", a), ("accepted", 201, "billing", b)]


def test_a_tampered_delivery_is_401_and_logged_as_rejected(deliver, acme):
    body = json.dumps({"title": "Real"}).encode()
    timestamp = int(time.time())
    signature = signatures.sign(acme.secret, "msg_1", timestamp, body)
    response = deliver(None, secret=acme.secret, raw=body.replace(b"Real", b"Fake"), signature=signature)
    assert response.status_code == 401
    assert response.json() == {"detail": "The webhook signature did not verify."}
    assert stored_state() == nothing_stored()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.integration) == ("rejected", 401, None)
    assert delivery.reason == "no signature matches the secret of an active integration"
    assert delivery.webhook_id == "msg_1" and delivery.ticket_id is None


def test_a_rejected_delivery_does_not_reserve_its_webhook_id(deliver, acme):
    assert deliver({"title": "x"}, secret=acme.secret, signature="v1,AAAA").status_code == 401
    assert deliver({"priority": "high"}, secret=acme.secret).status_code == 400
    assert deliver({"title": "Now right"}, secret=acme.secret).status_code == 201
    assert list(Ticket.objects.values_list("title", flat=True)) == ["Now right"]
    assert [row[:2] for row in deliveries()] == [("rejected", 401), ("rejected", 400), ("accepted", 201)]


@pytest.mark.parametrize("skew, word", [(-301, "old"), (301, "future")])
def test_clock_skew_beyond_five_minutes_is_401(deliver, acme, skew, word):
    timestamp = int(time.time()) + skew
    response = deliver({"title": "Late"}, secret=acme.secret, timestamp=timestamp)
    assert response.status_code == 401
    assert stored_state() == nothing_stored()
    assert deliveries() == [("rejected", 401, None, None)]
    delivery = WebhookDelivery.objects.get()
    assert word in delivery.reason and delivery.signed_at == datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.mark.parametrize("skew", [-290, 290])
def test_clock_skew_within_five_minutes_is_fine(deliver, acme, skew):
    timestamp = int(time.time()) + skew
    response = deliver({"title": "Skewed"}, secret=acme.secret, timestamp=timestamp)
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.title == "Skewed" and response.json() == stored_json(ticket.pk)
    assert deliveries() == [("accepted", 201, "acme-monitoring", ticket.pk)]
    assert WebhookDelivery.objects.get().signed_at == datetime.fromtimestamp(timestamp, tz=UTC)


def test_rotation_two_signatures_one_valid(deliver, acme):
    old_secret = acme.secret
    acme, _ = integration_save_secret(name="acme-monitoring")  # rotate
    body = json.dumps({"title": "Rotating"}).encode()
    timestamp = int(time.time())
    both = " ".join(signatures.sign(s, "msg_r", timestamp, body) for s in (old_secret, acme.secret))
    response = deliver(
        None, secret=acme.secret, webhook_id="msg_r", raw=body, timestamp=timestamp, signature=both
    )
    assert response.status_code == 201
    assert deliver({"title": "Old key only"}, secret=old_secret, webhook_id="msg_old").status_code == 401
    assert list(Ticket.objects.values_list("title", flat=True)) == ["Rotating"]
    rotating = Ticket.objects.get().pk
    assert deliveries() == [("accepted", 201, "acme-monitoring", rotating), ("rejected", 401, None, None)]


def test_an_inactive_integration_never_verifies(deliver, acme):
    acme.active = False
    acme.save()
    response = deliver({"title": "Switched off"}, secret=acme.secret)
    assert response.status_code == 401
    assert stored_state() == nothing_stored()
    assert deliveries() == [("rejected", 401, "acme-monitoring", None)]  # the log says whose it was
    assert (
        WebhookDelivery.objects.get().reason
        == "signed with the secret of inactive integration 'acme-monitoring'"
    )
    acme.active = True
    acme.save()
    assert deliver({"title": "Switched on"}, secret=acme.secret).status_code == 201  # the id was not reserved


def test_the_sender_is_the_integration_whose_secret_verifies(deliver, acme):
    billing, _ = integration_save_secret(name="billing")
    deliver({"title": "From billing"}, secret=billing.secret)
    assert TicketEvent.objects.get(kind="created").actor_name == "billing"
    assert WebhookDelivery.objects.get().integration == billing


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({}, "missing header webhook-id, webhook-timestamp, webhook-signature"),
        ({"webhook-id": "msg_1", "webhook-timestamp": "now", "webhook-signature": "v1,AAAA"}, "whole number"),
    ],
)
def test_missing_or_malformed_headers_are_401(client, acme, headers, reason):
    response = client.post(
        "/webhook/ticket", b'{"title": "x"}', content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert stored_state() == nothing_stored()
    assert deliveries() == [("rejected", 401, None, None)]
    assert reason in WebhookDelivery.objects.get().reason


@pytest.mark.parametrize(
    "raw, field",
    [
        (b'{"priority": "high"}', "title"),
        (b'{"title": ""}', "title"),
        (b'{"title": "   "}', "title"),
        (b'{"title": 42}', "title"),
        (json.dumps({"title": "x" * 201}).encode(), "title"),
        (b'{"title": "t", "priority": "urgent"}', "priority"),
        (b'{"title": "t", "assigned_to": ["a"]}', "assigned_to"),
        (json.dumps({"title": "t", "external_id": "x" * 201}).encode(), "external_id"),
        (b'{"title": "t", "description": null}', "description"),
        (b'{"title": "a\\u0000b"}', "title"),
        (b'{"title": "\\ud800"}', "title"),
        (b'["title"]', "non_field_errors"),
        (b'{"title": "unclosed', "detail"),
        (b"\xff\xfe", "detail"),
        (b'{"title": NaN}', "detail"),
        (b"[" * 50_000 + b"]" * 50_000, "detail"),
        (b"", "detail"),
    ],
)
def test_a_signed_but_invalid_body_is_400_with_field_errors(deliver, acme, raw, field):
    response = deliver(None, secret=acme.secret, raw=raw)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert stored_state() == nothing_stored()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.integration, delivery.status_code) == ("rejected", acme, 400)
    assert delivery.reason.startswith(f"invalid payload: {field}")


def test_an_oversized_body_is_413_and_logged(deliver, acme, settings):
    payload = {"title": "Huge", "description": "x" * settings.TRIAGE_MAX_BODY_BYTES}
    response = deliver(payload, secret=acme.secret)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert stored_state() == nothing_stored()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.webhook_id) == ("rejected", 413, "msg_1")
    assert delivery.body_bytes > settings.TRIAGE_MAX_BODY_BYTES and "size limit" in delivery.reason


def test_deliveries_are_throttled_per_integration(deliver, acme, monkeypatch):
    monkeypatch.setitem(IntegrationRateThrottle.THROTTLE_RATES, "webhook", "2/min")
    statuses = [
        deliver({"title": f"t{n}"}, secret=acme.secret, webhook_id=f"m{n}").status_code for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    other, _ = integration_save_secret(name="billing")
    assert deliver({"title": "other"}, secret=other.secret, webhook_id="m9").status_code == 201
    refused = deliver({"title": "t3"}, secret=acme.secret, webhook_id="m3")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert Ticket.objects.count() == 3
    assert (
        WebhookDelivery.objects.filter(outcome="rejected", reason="throttled", integration=acme).count() == 2
    )


def test_only_post_is_allowed(client):
    assert client.get("/webhook/ticket").status_code == 405
    assert WebhookDelivery.objects.count() == 0


def test_an_accepted_delivery_takes_a_fixed_number_of_queries(deliver, acme, django_assert_num_queries):
    from automation import rulebook

    rulebook.current_rules()
    # integrations, accepted before?; the delivery's transaction: savepoint, (the write: savepoint,
    # ticket, events, automation log, the summary's row, release), delivery row, release.
    with django_assert_num_queries(11):
        response = deliver({"title": "Counted", "priority": "high"}, secret=acme.secret)
    assert response.status_code == 201
    assert response.json() == stored_json(response.json()["id"])
    assert deliveries() == [("accepted", 201, "acme-monitoring", response.json()["id"])]


def test_a_repeat_that_loses_the_race_to_the_constraint_is_a_replay(deliver, acme, monkeypatch):
    """Two deliveries both see "not accepted yet"; the unique constraint lets only the first in."""
    from automation import webhook

    first = deliver({"title": "Winner"}, secret=acme.secret)
    lookups = []
    real_lookup = webhook._first_acceptance

    def not_yet_on_the_first_look(integration, webhook_id):
        lookups.append(webhook_id)
        return None if len(lookups) == 1 else real_lookup(integration, webhook_id)

    monkeypatch.setattr(webhook, "_first_acceptance", not_yet_on_the_first_look)
    loser = deliver({"title": "Winner"}, secret=acme.secret)
    assert (loser.status_code, loser.json()["id"]) == (200, first.json()["id"])
    assert len(lookups) == 2
    assert Ticket.objects.count() == 1 and TicketEvent.objects.filter(kind="created").count() == 1
    assert [row[:2] for row in deliveries()] == [("accepted", 201), ("replayed", 200)]


@FUZZ
@given(payload=TICKET_LIKE | JSON_VALUES)
def test_no_signed_body_makes_a_500_and_a_refusal_creates_nothing(deliver, acme, payload):
    """An accepted body answers with the ticket as stored; each delivery is logged with its answer."""
    before = stored_state()
    response = deliver(payload, secret=acme.secret, webhook_id=f"fuzz-{WebhookDelivery.objects.count()}")
    assert response.status_code in (201, 400), response.content
    logged = WebhookDelivery.objects.order_by("id").last()
    if response.status_code == 400:
        assert stored_state() == before
        assert (logged.outcome, logged.status_code, logged.ticket_id) == ("rejected", 400, None)
    else:
        assert response.json() == stored_json(response.json()["id"])
        assert (logged.outcome, logged.ticket_id) == ("accepted", response.json()["id"])
