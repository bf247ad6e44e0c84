"""Concurrent deliveries of the same alerts make one ticket each: the database's constraint decides.

Real threads, each with its own connection and transaction, on SQLite and on PostgreSQL (where the
deliveries really overlap and the claim's row locks and unique index do the work).
"""

import random
from collections import Counter

import pytest
from django.test import Client

from automation.integrations import integration_save_secret
from automation.models import WebhookDelivery
from intake.models import ExternalTicket
from intake.tests.senders import alertmanager_group, to_alertmanager
from tickets.models import Ticket, TicketEvent
from tickets.tests.threads import run_at_once

SENDERS = 8
ALERTS = 60

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def am():
    return integration_save_secret(name="prod-alerts", kind="alertmanager")[0]


def send(integration, payload):
    def call():
        response = to_alertmanager(Client(), integration, payload)
        return response.status_code, response.json()

    return call


def shuffled(payload: dict, seed: int) -> dict:
    random.Random(seed).shuffle(payload["alerts"])
    return payload


def test_replicas_sending_the_same_alerts_at_once_make_one_ticket_per_alert(am):
    # Alertmanager in HA: each replica sends the group, in its own order and with its own body.
    payloads = [shuffled(alertmanager_group(ALERTS, receiver=f"replica-{n}"), n) for n in range(SENDERS)]
    results = run_at_once([send(am, payload) for payload in payloads])
    assert all(isinstance(result, tuple) for result in results), results
    assert sorted(status for status, _ in results).count(201) >= 1
    assert {status for status, _ in results} <= {200, 201}
    created = [ticket_id for _, answer in results for ticket_id in answer["created"]]
    assert len(created) == len(set(created)) == ALERTS == Ticket.objects.count()
    assert Counter(Ticket.objects.values_list("external_id", flat=True)).most_common(1)[0][1] == 1
    assert ExternalTicket.objects.count() == ALERTS
    assert set(ExternalTicket.objects.values_list("ticket_id", flat=True)) == set(created)
    assert TicketEvent.objects.filter(kind="created").count() == ALERTS
    assert WebhookDelivery.objects.filter(outcome="accepted").count() == SENDERS


def test_the_same_body_at_once_is_accepted_once_and_replayed_for_the_others(am):
    payload = alertmanager_group(ALERTS)
    results = run_at_once([send(am, payload) for _ in range(SENDERS)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (SENDERS - 1) + [201]
    assert Ticket.objects.count() == ALERTS
    outcomes = Counter(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert outcomes == {"accepted": 1, "replayed": SENDERS - 1}


def test_overlapping_firing_and_resolved_groups_in_any_order_never_deadlock(am):
    to_alertmanager(Client(), am, alertmanager_group(ALERTS // 2))  # half the alerts are known
    payloads = []
    for n in range(SENDERS):
        status = "resolved" if n % 2 else "firing"
        group = alertmanager_group(ALERTS, status=status, receiver=f"sender-{n}")
        group["alerts"] = group["alerts"][n * 5 : n * 5 + ALERTS // 2]  # overlapping slices
        payloads.append(shuffled(group, n))
    results = run_at_once([send(am, payload) for payload in payloads])
    assert all(isinstance(result, tuple) and result[0] in (200, 201) for result in results), results
    per_alert = Counter(Ticket.objects.values_list("external_id", flat=True))
    assert per_alert and max(per_alert.values()) == 1
    linked = ExternalTicket.objects.exclude(ticket=None).count()
    assert linked == Ticket.objects.count() == ExternalTicket.objects.count()
