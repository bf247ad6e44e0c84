"""Sixteen identical deliveries at once make exactly one ticket (on SQLite and on PostgreSQL)."""

import json
import threading
import time

import pytest
from django.db import connections
from django.test import Client

from automation import signatures
from automation.models import WebhookDelivery
from automation.webhook import integration_save_secret
from tickets.models import Ticket, TicketEvent

SENDERS = 16


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_repeats_make_exactly_one_ticket():
    integration, _ = integration_save_secret(name="acme-monitoring")
    body = json.dumps({"title": "Storm of retries", "priority": "medium"}).encode()
    timestamp = int(time.time())
    headers = {
        "webhook-id": "msg_storm",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures.sign(integration.secret, "msg_storm", timestamp, body),
    }
    start = threading.Barrier(SENDERS)
    answers, errors = [], []

    def sender():
        try:
            client = Client()
            start.wait()
            response = client.post("/webhook/ticket", body, content_type="application/json", headers=headers)
            answers.append((response.status_code, response.json()["id"]))
        except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (SENDERS - 1) + [201]
    ticket = Ticket.objects.get()
    assert {ticket_id for _, ticket_id in answers} == {ticket.pk}
    assert TicketEvent.objects.filter(kind="created").count() == 1
    outcomes = list(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert sorted(outcomes) == ["accepted"] + ["replayed"] * (SENDERS - 1)
    assert set(WebhookDelivery.objects.values_list("ticket_id", flat=True)) == {ticket.pk}
