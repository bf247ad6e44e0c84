"""Faults are honest for senders: with the database unavailable the webhook answers 503 (they retry).

Never a 200 or a 201 for a ticket that was not stored, never a traceback.
"""

import json
import time

import pytest
from django.db import OperationalError
from django.test import Client

from automation import signatures
from automation.models import WebhookDelivery
from automation.webhook import integration_save_secret
from config.tests.test_errors import take_database_down
from tickets.models import Ticket
from tickets.tests.stored import nothing_stored, stored_json, stored_state

pytestmark = pytest.mark.django_db


def signed_delivery(secret: str, webhook_id: str = "msg_1") -> dict:
    body = json.dumps({"title": "Disk full on db-3", "priority": "high"}).encode()
    timestamp = int(time.time())
    return {
        "path": "/webhook/ticket",
        "data": body,
        "content_type": "application/json",
        "headers": {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signatures.sign(secret, webhook_id, timestamp, body),
        },
    }


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert "unavailable" in response.json()["detail"]


def test_a_delivery_while_the_database_is_down_is_503(monkeypatch):
    secret = integration_save_secret(name="acme")[0].secret
    take_database_down(monkeypatch)
    assert_unavailable(Client(raise_request_exception=False).post(**signed_delivery(secret)))
    monkeypatch.undo()  # the database is back: read what it holds
    assert stored_state() == nothing_stored()
    assert not WebhookDelivery.objects.exists()


def test_a_failure_while_creating_the_ticket_is_503_and_the_retry_is_accepted(monkeypatch):
    from tickets import services

    secret = integration_save_secret(name="acme")[0].secret
    client = Client(raise_request_exception=False)

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "ticket_create", database_gone)
    assert_unavailable(client.post(**signed_delivery(secret)))
    assert stored_state() == nothing_stored()
    assert not WebhookDelivery.objects.exists()  # the id is not reserved
    monkeypatch.undo()
    retry = client.post(**signed_delivery(secret))
    assert retry.status_code == 201 and Ticket.objects.count() == 1
    assert retry.json() == stored_json(Ticket.objects.get().pk)
    accepted = WebhookDelivery.objects.get()
    assert (accepted.outcome, accepted.ticket_id) == ("accepted", retry.json()["id"])
