"""Abuse of the webhook is bounded: refusals per address, deliveries per integration, all in the cache.

Every refused delivery is logged, so a flood of junk could fill the log; past
TRIAGE_WEBHOOK_REFUSAL_RATE refusals an address gets 429 with Retry-After and
nothing is logged. A valid sender on the same address is never slowed by it.
"""

import json
import time

import pytest
from django.core.cache import cache

from automation import signatures
from automation.models import WebhookDelivery
from automation.views import IntegrationRateThrottle, RefusalRateThrottle
from automation.webhook import integration_save_secret
from tickets.models import Ticket
from tickets.tests.stored import nothing_stored, stored_json, stored_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusals_per_minute(monkeypatch):
    monkeypatch.setitem(RefusalRateThrottle.THROTTLE_RATES, "webhook_refusals", "3/min")


@pytest.fixture
def acme():
    return integration_save_secret(name="acme-monitoring")[0]


def logged() -> list[tuple]:
    """(webhook-id, outcome, status, client address) of every logged delivery, oldest first."""
    rows = WebhookDelivery.objects.order_by("id")
    return list(rows.values_list("webhook_id", "outcome", "status_code", "remote_addr"))


def send(client, *, secret=None, address="203.0.113.7", webhook_id="msg_1", body=None, **headers):
    body = body if body is not None else json.dumps({"title": "Disk full"}).encode()
    timestamp = int(time.time())
    signature = signatures.sign(secret, webhook_id, timestamp, body) if secret else "v1,bm90IGEgc2lnbmF0dXJl"
    return client.post(
        "/webhook/ticket",
        body,
        content_type="application/json",
        REMOTE_ADDR=address,
        headers={
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
            **headers,
        },
    )


def test_junk_past_the_refusal_rate_is_429_and_not_logged(client, refusals_per_minute):
    statuses = [send(client, webhook_id=f"junk-{n}").status_code for n in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]
    refused = send(client, webhook_id="junk-7")
    assert int(refused["Retry-After"]) >= 1
    assert refused.json() == {
        "detail": "Too many refused deliveries from this address; retry after Retry-After seconds."
    }
    assert logged() == [(f"junk-{n}", "rejected", 401, "203.0.113.7") for n in range(3)]
    assert stored_state() == nothing_stored()


def test_a_forwarded_for_header_does_not_make_a_new_address(client, refusals_per_minute):
    statuses = [
        send(client, webhook_id=f"junk-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    assert logged() == [(f"junk-{n}", "rejected", 401, "203.0.113.7") for n in range(3)]


def test_other_addresses_and_valid_senders_are_not_slowed_by_junk(client, acme, refusals_per_minute):
    for n in range(5):
        send(client, webhook_id=f"junk-{n}")
    assert send(client, address="198.51.100.9", webhook_id="elsewhere").status_code == 401
    accepted = send(client, secret=acme.secret, webhook_id="real-1")
    assert accepted.status_code == 201
    assert accepted.json() == stored_json(Ticket.objects.get().pk)
    assert logged() == [
        *((f"junk-{n}", "rejected", 401, "203.0.113.7") for n in range(3)),
        ("elsewhere", "rejected", 401, "198.51.100.9"),
        ("real-1", "accepted", 201, "203.0.113.7"),
    ]


def test_oversized_junk_past_the_refusal_rate_is_413_and_not_logged(client, settings, refusals_per_minute):
    huge = b"x" * (settings.TRIAGE_MAX_BODY_BYTES + 1)
    statuses = [send(client, webhook_id=f"big-{n}", body=huge).status_code for n in range(5)]
    assert statuses == [413] * 5
    assert logged() == [(f"big-{n}", "rejected", 413, "203.0.113.7") for n in range(3)]
    assert stored_state() == nothing_stored()


def test_an_integration_over_its_rate_is_429_and_its_throttled_rows_are_bounded_too(
    client, acme, refusals_per_minute, monkeypatch
):
    monkeypatch.setitem(IntegrationRateThrottle.THROTTLE_RATES, "webhook", "1/min")
    statuses = [send(client, secret=acme.secret, webhook_id=f"m{n}").status_code for n in range(6)]
    assert statuses == [201, 429, 429, 429, 429, 429]
    assert WebhookDelivery.objects.filter(reason="throttled").count() == 3
    assert Ticket.objects.count() == 1


def test_the_counts_live_in_the_shared_cache(client, acme, refusals_per_minute):
    """Throttles keep their history in the default cache: Redis, shared by every worker, with REDIS_URL."""
    send(client, webhook_id="junk")
    send(client, secret=acme.secret, webhook_id="real")
    assert len(cache.get("throttle_webhook_refusals_203.0.113.7")) == 1
    assert len(cache.get(f"throttle_webhook_{acme.pk}")) == 1
