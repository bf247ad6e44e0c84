"""Channels and deliveries in the Django admin: secrets stay hidden, failed deliveries can be retried."""

import pytest

from notifications.models import Channel, Delivery
from notifications.signing import new_secret
from notifications.tests.factories import ChannelFactory, notify_rule
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"


def failed_delivery() -> Delivery:
    notify_rule(ChannelFactory(name="ops"))
    Ticket.objects.create(title="Refused")
    Delivery.objects.update(status="failed", attempts=1, last_error="HTTP 400", response_code=400)
    return Delivery.objects.get()


def test_the_delivery_log_filters_by_status_and_channel(admin_client):
    delivery = failed_delivery()
    page = admin_client.get("/admin/notifications/delivery/?status__exact=failed").content.decode()
    assert "HTTP 400" in page and str(delivery.ticket_id) in page
    assert "Retry the selected failed deliveries" in page
    assert (
        "HTTP 400"
        not in admin_client.get("/admin/notifications/delivery/?status__exact=sent").content.decode()
    )
    channel_page = admin_client.get(
        f"/admin/notifications/delivery/?channel__id__exact={delivery.channel_id}"
    )
    assert channel_page.status_code == 200 and "HTTP 400" in channel_page.content.decode()


def test_an_admin_retries_failed_deliveries_from_the_list(admin_client):
    delivery = failed_delivery()
    response = admin_client.post(
        "/admin/notifications/delivery/",
        {"action": "retry", "_selected_action": [str(delivery.pk)]},
        follow=True,
    )
    assert "Queued 1 deliveries again." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_an_analyst_reads_the_log_but_cannot_retry(analyst_client):
    delivery = failed_delivery()
    page = analyst_client.get("/admin/notifications/delivery/").content.decode()
    assert "HTTP 400" in page and "Retry the selected" not in page
    analyst_client.post(
        "/admin/notifications/delivery/", {"action": "retry", "_selected_action": [str(delivery.pk)]}
    )
    assert Delivery.objects.get().status == "failed"


def test_an_analyst_sees_a_channel_url_shortened_and_no_secret(analyst_client):
    channel = ChannelFactory(kind="webhook", target="https://hooks.example.com/very/secret/path")
    page = analyst_client.get(f"/admin/notifications/channel/{channel.pk}/change/").content.decode()
    assert "https://hooks.example.com" in page
    assert "very/secret/path" not in page and channel.secret not in page


def test_an_admin_adds_a_channel_and_a_blank_secret_keeps_the_stored_one(admin_client):
    secret = new_secret()
    data = {"name": "hook", "kind": "webhook", "target": "https://hooks.example.com/x", "secret": secret,
            "active": "on", "max_per_minute": "30"}  # fmt: skip
    assert admin_client.post("/admin/notifications/channel/add/", data).status_code == 302
    channel = Channel.objects.get(name="hook")
    assert channel.secret == secret
    page = admin_client.get(f"/admin/notifications/channel/{channel.pk}/change/").content.decode()
    assert secret not in page
    response = admin_client.post(f"/admin/notifications/channel/{channel.pk}/change/", {**data, "secret": ""})
    assert response.status_code == 302
    assert Channel.objects.get(pk=channel.pk).secret == secret


def test_the_admin_refuses_an_http_url_as_the_api_does(admin_client, settings):
    settings.TRIAGE_OUTBOUND_ALLOW_PRIVATE = False
    data = {"name": "chat", "kind": "slack", "target": "http://hooks.slack.com/x", "max_per_minute": "30"}
    response = admin_client.post("/admin/notifications/channel/add/", data)
    assert response.status_code == 200 and "https://" in response.content.decode()
    assert not Channel.objects.exists()
