"""The alert sources' route: methods, throttles, and junk from one address kept out of the log."""

import pytest

from automation.models import WebhookDelivery
from automation.views import IntegrationRateThrottle, RefusalRateThrottle
from intake.tests.senders import fixture, to_alertmanager
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_only_post_is_allowed(client, alertmanager):
    for method in ("get", "put", "delete"):
        response = getattr(client, method)(f"/webhook/alertmanager/{alertmanager.name}")
        assert response.status_code == 405
    assert not WebhookDelivery.objects.exists()


def test_the_standard_webhook_keeps_its_own_path(client):
    response = client.post("/webhook/ticket", b"{}", content_type="application/json")
    assert response.status_code == 401
    assert WebhookDelivery.objects.get().source == "standard"


def test_a_sender_over_its_rate_is_429_with_retry_after(client, alertmanager, monkeypatch):
    monkeypatch.setitem(IntegrationRateThrottle.THROTTLE_RATES, "webhook", "1/min")
    assert to_alertmanager(client, alertmanager, fixture("alertmanager-firing")).status_code == 201
    response = to_alertmanager(client, alertmanager, fixture("alertmanager-resolved"))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert set(Ticket.objects.values_list("status", flat=True)) != {"closed"}
    assert WebhookDelivery.objects.latest("id").reason == "throttled"


def test_refusals_past_the_address_rate_are_429_and_not_logged(client, alertmanager, monkeypatch):
    monkeypatch.setitem(RefusalRateThrottle.THROTTLE_RATES, "webhook_refusals", "2/min")
    for _ in range(2):
        assert to_alertmanager(client, alertmanager, b"{}", token="wrong-token-0123456789").status_code == 401
    response = client.post("/webhook/nonsense/x", b"{}", content_type="application/json")
    assert response.status_code == 429 and WebhookDelivery.objects.count() == 2
    # A valid sender from another address is not slowed down by the junk.
    good = to_alertmanager(
        client, alertmanager, fixture("alertmanager-firing"), headers={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert good.status_code == 201
