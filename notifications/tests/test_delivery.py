"""Deliveries end to end: a rule fires on a real write, a worker sends to a real receiver, the row tells."""

import json

import pytest
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook

from notifications import senders
from notifications.models import Channel, Delivery
from notifications.tests.factories import ChannelFactory, notify_rule
from notifications.tests.servers import Answer
from notifications.worker import drain
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def webhook_channel(receiver, **fields):
    channel = ChannelFactory(kind=Channel.Kind.WEBHOOK, target=receiver.url(), **fields)
    notify_rule(channel)
    return channel


def test_a_webhook_delivery_is_signed_as_standard_webhooks_and_carries_the_ticket(receiver, settings):
    settings.TRIAGE_BASE_URL = "https://triage.example.com"
    server = receiver(Answer(204))
    channel = webhook_channel(server)
    ticket = Ticket.objects.create(title="Checkout is down", priority="medium")
    assert drain() == 1
    (request,) = server.requests
    # The receiver verifies with the Standard Webhooks reference library, as an integrator would.
    body = Webhook(channel.secret).verify(request.body, request.headers)
    delivery = Delivery.objects.get()
    assert request.headers["webhook-id"] == str(delivery.pk)
    assert body["type"] == "ticket.notified"
    assert body["data"]["event"] == "create" and body["data"]["rule"] == "Tell the channel"
    assert body["data"]["ticket"]["id"] == ticket.pk and body["data"]["ticket"]["title"] == "Checkout is down"
    assert body["timestamp"] == delivery.created_at.isoformat()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 1, 204)
    assert delivery.sent_at is not None and delivery.finished_at is not None


def test_503_then_200_is_one_sent_delivery_after_two_attempts_with_the_same_webhook_id(receiver):
    server = receiver(Answer(503), Answer(200))
    webhook_channel(server)
    Ticket.objects.create(title="Flaky receiver")
    drain()  # the first attempt, then its retry (TRIAGE_NOTIFY_RETRY_SECONDS=0 in these tests)
    first, second = server.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body  # the body was captured once
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.last_error) == (
        "sent",
        2,
        200,
        "",
    )


def test_a_400_fails_at_once_after_one_attempt(receiver):
    server = receiver(Answer(400, body=b"unknown hook"))
    webhook_channel(server)
    Ticket.objects.create(title="Refused")
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 400)
    assert delivery.last_error == "HTTP 400: unknown hook"
    assert len(server.requests) == 1


def test_a_redirect_is_not_followed_and_fails(receiver):
    server = receiver(Answer(302, headers={"Location": "http://127.0.0.1:9/elsewhere"}))
    webhook_channel(server)
    Ticket.objects.create(title="Moved")
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 302)
    assert "redirects are not followed" in delivery.last_error


def test_a_receiver_that_hangs_times_out_and_the_delivery_is_retried(receiver, monkeypatch):
    monkeypatch.setattr(senders, "DEADLINE_SECONDS", 0.5)
    server = receiver(Answer(200, delay=30), Answer(200))
    webhook_channel(server)
    Ticket.objects.create(title="Slow receiver")
    drain()
    delivery = Delivery.objects.get()
    assert len(server.requests) == 2
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_receiver_that_drips_its_answer_cannot_hold_the_worker(receiver, monkeypatch):
    """The deadline covers the whole attempt, not each read: bytes that keep coming slowly still time out."""
    monkeypatch.setattr(senders, "DEADLINE_SECONDS", 0.5)
    server = receiver(Answer(200, drip=0.05))  # each byte well within any per-read time-out
    webhook_channel(server)
    Ticket.objects.create(title="Dripping receiver")
    from notifications.delivery import attempt

    assert attempt(str(Delivery.objects.get().pk)) == "retrying"
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.last_error) == (1, "no answer within 0.5 s")


def test_429_honours_retry_after(receiver):
    server = receiver(Answer(429, headers={"Retry-After": "120"}))
    webhook_channel(server)
    Ticket.objects.create(title="Throttled")
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 429)
    wait = (delivery.next_attempt_at - delivery.created_at).total_seconds()
    assert 119 < wait < 125
    # The next try is queued for then, not before.
    task = DBTaskResult.objects.get(pk=delivery.task_id)
    assert task.status == "READY" and task.run_after == delivery.next_attempt_at


def test_after_the_last_attempt_a_delivery_fails(receiver, settings):
    settings.TRIAGE_NOTIFY_MAX_ATTEMPTS = 3
    server = receiver(Answer(500))
    webhook_channel(server)
    Ticket.objects.create(title="Always broken")
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error.startswith("gave up after 3 attempts: HTTP 500")
    assert len(server.requests) == 3


def test_a_connection_refused_is_retried(loopback, settings):
    settings.TRIAGE_NOTIFY_MAX_ATTEMPTS = 2
    from notifications.tests.servers import free_port

    channel = ChannelFactory(target=f"http://127.0.0.1:{free_port()}/nobody")
    notify_rule(channel)
    Ticket.objects.create(title="Nobody listens")
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert "connection failed" in delivery.last_error


def test_slack_gets_text_with_the_ticket_number_and_title(receiver, settings):
    settings.TRIAGE_BASE_URL = "https://triage.example.com"
    server = receiver(Answer(200))
    channel = ChannelFactory(kind=Channel.Kind.SLACK, target=server.url(), secret="")
    notify_rule(channel)
    ticket = Ticket.objects.create(title="Printer on fire")
    drain()
    body = json.loads(server.requests[0].body)
    assert f"#{ticket.pk}" in body["text"] and "Printer on fire" in body["text"]
    assert "webhook-signature" not in server.requests[0].headers
    link = f"https://triage.example.com/admin/tickets/ticket/{ticket.pk}/change/"
    assert link in json.dumps(body["blocks"])


def test_teams_gets_an_adaptive_card_in_a_message(receiver):
    server = receiver(Answer(202))
    channel = ChannelFactory(kind=Channel.Kind.TEAMS, target=server.url(), secret="")
    notify_rule(channel)
    ticket = Ticket.objects.create(title="VPN down")
    drain()
    body = json.loads(server.requests[0].body)
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert f"#{ticket.pk} VPN down" in card["body"][0]["text"]
    assert "actions" not in card  # no TRIAGE_BASE_URL, no link
    assert Delivery.objects.get().status == "sent"


def test_email_goes_through_a_real_smtp_server_with_the_ticket_in_the_subject(smtp, settings):
    settings.TRIAGE_BASE_URL = "https://triage.example.com"
    channel = ChannelFactory(kind=Channel.Kind.EMAIL, target="ops@example.com, lead@example.com", secret="")
    notify_rule(channel)
    ticket = Ticket.objects.create(title="Database\nfull")
    drain()
    ((recipients, message),) = smtp.messages
    assert recipients == ["ops@example.com", "lead@example.com"]
    assert message["Subject"] == f"[Triage #{ticket.pk}] Database full"
    assert message["From"] == "triage@example.com"
    assert f"/admin/tickets/ticket/{ticket.pk}/change/" in message.get_payload()
    assert Delivery.objects.get().status == "sent"


def test_every_attempt_sends_the_body_captured_when_queued(receiver):
    server = receiver(Answer(500), Answer(200))
    webhook_channel(server)
    ticket = Ticket.objects.create(title="Before")
    from notifications.delivery import attempt

    attempt(str(Delivery.objects.get().pk))
    ticket.title = "After"
    ticket.save()
    drain()
    first, second = (json.loads(request.body) for request in server.requests)
    assert first == second and first["data"]["ticket"]["title"] == "Before"


def test_a_message_sent_long_after_it_was_queued_is_signed_with_a_fresh_timestamp(receiver):
    """Receivers refuse timestamps over five minutes old: each attempt signs anew, the body stays."""
    from datetime import timedelta

    from django.utils import timezone

    server = receiver(Answer(200))
    channel = webhook_channel(server)
    Ticket.objects.create(title="Queued while the workers were down")
    Delivery.objects.update(created_at=timezone.now() - timedelta(hours=2))
    drain()
    (request,) = server.requests
    body = Webhook(channel.secret).verify(request.body, request.headers)  # raises when stale
    assert body["timestamp"] == Delivery.objects.get().created_at.isoformat()
