"""`/api/channels` and `/api/notifications`: shapes, masking, write-only secrets, 409s, retry."""

import pytest

from automation.models import Rule
from notifications.models import Channel, Delivery
from notifications.signing import new_secret
from notifications.tests.factories import ChannelFactory, notify_rule
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"


def channel_body(**fields):
    return {"name": "ops-chat", "kind": "slack", "target": SLACK, **fields}


def test_an_admin_creates_a_channel_and_sees_its_url_whole(api_client, admin_user):
    client = api_client(admin_user)
    response = client.post("/api/channels", channel_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "id": response.json()["id"], "name": "ops-chat", "kind": "slack", "target": SLACK, "active": True,
        "anomaly_alerts": False, "max_per_minute": 30,
    }  # fmt: skip
    assert client.get("/api/channels").json()[0]["target"] == SLACK


def test_an_analyst_sees_only_scheme_and_host_of_a_url_but_email_targets_whole(api_client, analyst_user):
    ChannelFactory(name="chat", kind="slack", target=SLACK, secret="")
    ChannelFactory(name="mail", kind="email", target="ops@example.com, lead@example.com", secret="")
    listed = {c["name"]: c["target"] for c in api_client(analyst_user).get("/api/channels/").json()}
    assert listed == {"chat": "https://hooks.slack.com", "mail": "ops@example.com, lead@example.com"}


def test_a_webhook_secret_is_required_write_only_and_kept_when_omitted(api_client, admin_user):
    client = api_client(admin_user)
    body = channel_body(kind="webhook", target="https://example.com/hook")
    response = client.post("/api/channels", body, format="json")
    assert response.status_code == 400 and "secret" in response.json()
    secret = new_secret()
    response = client.post("/api/channels", {**body, "secret": secret}, format="json")
    assert response.status_code == 201 and "secret" not in response.json()
    channel_id = response.json()["id"]
    assert (
        client.patch(f"/api/channels/{channel_id}", {"max_per_minute": 5}, format="json").status_code == 200
    )
    replaced = client.put(f"/api/channels/{channel_id}", {**body, "active": False}, format="json")
    assert replaced.status_code == 200 and "secret" not in replaced.json()
    assert Channel.objects.get(pk=channel_id).secret == secret


@pytest.mark.parametrize(
    "fields, key",
    [
        ({"target": "http://hooks.slack.com/x"}, "target"),
        ({"target": "not a url"}, "target"),
        ({"kind": "email", "target": "ops@example.com, nobody"}, "target"),
        ({"kind": "pager"}, "kind"),
        ({"secret": new_secret()}, "secret"),
        ({"kind": "webhook", "target": "https://example.com/h", "secret": "whsec_short"}, "secret"),
        ({"max_per_minute": 0}, "max_per_minute"),
        ({"name": "  "}, "name"),
        ({"target": 42}, "target"),
    ],
)
def test_bad_channels_get_400_naming_the_key_and_write_nothing(api_client, admin_user, fields, key):
    response = api_client(admin_user).post("/api/channels", channel_body(**fields), format="json")
    assert response.status_code == 400
    assert key in response.json()
    assert not Channel.objects.exists()


def test_deleting_a_channel_that_a_rule_names_is_409(api_client, admin_user):
    channel = ChannelFactory()
    notify_rule(channel, name="Page on-call")
    response = api_client(admin_user).delete(f"/api/channels/{channel.pk}")
    assert response.status_code == 409
    assert "Page on-call" in response.json()["detail"]
    assert Channel.objects.filter(pk=channel.pk).exists()
    Rule.objects.all().delete()
    assert api_client(admin_user).delete(f"/api/channels/{channel.pk}").status_code == 204


def test_a_test_message_is_queued_for_an_active_channel_only(api_client, admin_user):
    channel = ChannelFactory()
    response = api_client(admin_user).post(f"/api/channels/{channel.pk}/test")
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert response.json()["id"] == str(delivery.pk) and delivery.event == "test"
    channel.active = False
    channel.save()
    assert api_client(admin_user).post(f"/api/channels/{channel.pk}/test").status_code == 409
    assert Delivery.objects.count() == 1


def test_unknown_ids_are_404(api_client, admin_user):
    client = api_client(admin_user)
    assert client.get("/api/channels/999").status_code == 404
    assert client.get("/api/channels/abc").status_code == 404
    assert client.get("/api/notifications/abc").status_code == 404
    assert client.post("/api/notifications/00000000-0000-0000-0000-000000000000/retry").status_code == 404


def test_the_log_lists_deliveries_newest_first_paginated_and_filtered(api_client, analyst_user):
    chat, mail = ChannelFactory(name="chat"), ChannelFactory(name="mail")
    notify_rule(chat, name="to chat")
    first = Ticket.objects.create(title="First")
    notify_rule(mail, name="to mail")
    second = Ticket.objects.create(title="Second")
    Delivery.objects.filter(channel=mail).update(status="failed", last_error="HTTP 400", response_code=400)
    client = api_client(analyst_user)
    page = client.get("/api/notifications?page_size=2").json()
    assert page["count"] == 3 and page["next"] and len(page["results"]) == 2
    assert set(page["results"][0]) == {
        "id", "channel", "ticket", "event", "status", "attempts", "last_error", "response_code", "created_at",
        "sent_at",
    }  # fmt: skip
    assert page["results"][0]["ticket"] == second.pk
    failed = client.get("/api/notifications?status=failed").json()["results"]
    assert [(d["channel"], d["ticket"], d["response_code"]) for d in failed] == [("mail", second.pk, 400)]
    assert len(client.get(f"/api/notifications?ticket={first.pk}").json()["results"]) == 1
    assert len(client.get("/api/notifications?channel=chat&event=create").json()["results"]) == 2
    assert client.get("/api/notifications?status=lost").status_code == 400
    assert client.get("/api/notifications?ticket=x").status_code == 400


def test_an_admin_retries_a_failed_delivery_only(api_client, admin_user):
    notify_rule(ChannelFactory())
    Ticket.objects.create(title="Retry me")
    delivery = Delivery.objects.get()
    client = api_client(admin_user)
    assert client.post(f"/api/notifications/{delivery.pk}/retry").status_code == 409  # pending
    Delivery.objects.update(
        status="failed", attempts=8, last_error="HTTP 500", finished_at=delivery.created_at
    )
    response = client.post(f"/api/notifications/{delivery.pk}/retry")
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    delivery.refresh_from_db()
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get(pk=delivery.task_id).status == "READY"


def test_booleans_are_json_booleans(api_client, admin_user):
    response = api_client(admin_user).post("/api/channels", channel_body(active=0), format="json")
    assert response.status_code == 400 and "active" in response.json()
    rule = Rule.objects.first()
    response = api_client(admin_user).patch(f"/api/rules/{rule.pk}", {"stop_processing": 0}, format="json")
    assert response.status_code == 400 and "stop_processing" in response.json()
    assert Rule.objects.get(pk=rule.pk).stop_processing is False


def test_the_request_that_saves_a_ticket_does_not_wait_for_a_slow_receiver(api_client, admin_user, receiver):
    """The create answers while the receiver would hang: it only wrote rows; the worker sends later."""
    from notifications.tests.servers import Answer

    server = receiver(Answer(200, delay=30))
    notify_rule(ChannelFactory(target=server.url()))
    response = api_client(admin_user).post("/api/tickets", {"title": "Tell the slow receiver"}, format="json")
    assert response.status_code == 201
    assert server.requests == []  # nothing was sent inside the request
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.ticket_id) == ("pending", 0, response.json()["id"])
