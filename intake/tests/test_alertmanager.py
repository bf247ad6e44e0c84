"""Alertmanager: firing creates, resolved closes, firing after resolved reopens, repeats change nothing.

Every case reads back the tickets, their audit trail, the link rows and the delivery log.
"""

import hashlib
import json

import pytest
from django.db import connection

from automation.models import WebhookDelivery
from intake.models import ExternalTicket
from intake.tests.senders import alertmanager_group, body_of, fixture, to_alertmanager
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_update

pytestmark = pytest.mark.django_db

# Whatever the group's size: the integration, the replay check, the claim, the links, the tickets,
# the write pipeline's statements (rules and channels read once, audit, summary), the links' update,
# the delivery log.
# (PostgreSQL sends batches of 100 rows or more by COPY, which is one statement.)
QUERIES = {
    "sqlite": {"create": 23, "close": 16, "repeat": 8},
    "postgresql": {"create": 16, "close": 15, "repeat": 8},
}


def tickets_by_fingerprint() -> dict[str, Ticket]:
    return {ticket.external_id: ticket for ticket in Ticket.objects.all()}


def person(admin_user):
    from tickets.audit import Actor

    return Actor.for_user(admin_user)


def test_a_firing_group_makes_one_ticket_per_alert_through_the_write_path(client, alertmanager):
    payload = fixture("alertmanager-firing")
    response = to_alertmanager(client, alertmanager, payload)
    assert response.status_code == 201
    disk, latency = tickets_by_fingerprint()["a3f1c2d4e5b60718"], tickets_by_fingerprint()["0b9e8d7c6a5f4e32"]
    assert response.json() == {"created": [disk.pk, latency.pk], "updated": [], "unchanged": []}
    # Title from the summary, else the alert's name; priority from severity; the rules then apply.
    assert (disk.title, disk.priority, disk.status, disk.assigned_to) == (
        "Disk almost full on db-3", "high", "in_progress", "Senior Analyst"
    )  # fmt: skip
    assert (latency.title, latency.priority, latency.status) == ("HighLatency", "medium", "open")
    assert disk.description.startswith(
        "Only 3% of /var/lib/postgresql is free.\n\nLabels: alertname=DiskFull"
    )
    assert disk.external_url == payload["alerts"][0]["generatorURL"] and disk.source == "webhook"
    created = TicketEvent.objects.get(ticket_id=disk.pk, kind="created")
    assert (created.actor_type, created.actor_name, created.source) == (
        "integration",
        "prod-alerts",
        "webhook",
    )
    assert TicketEvent.objects.filter(ticket_id=disk.pk, actor_type="rule").count() == 1
    links = ExternalTicket.objects.order_by("external_id")
    assert [(link.external_id, link.ticket_id, link.sender_state) for link in links] == [
        ("0b9e8d7c6a5f4e32", latency.pk, "open"), ("a3f1c2d4e5b60718", disk.pk, "open"),
    ]  # fmt: skip
    delivery = WebhookDelivery.objects.get()
    assert (delivery.source, delivery.outcome, delivery.status_code, delivery.integration) == (
        "alertmanager", "accepted", 201, alertmanager
    )  # fmt: skip
    assert delivery.webhook_id == hashlib.sha256(body_of(payload)).hexdigest() == delivery.body_sha256
    assert delivery.answer == response.json() and delivery.reason == "2 created, 0 updated, 0 unchanged"


def test_the_same_post_again_is_a_replay_that_writes_nothing(client, alertmanager):
    first = to_alertmanager(client, alertmanager, fixture("alertmanager-firing")).json()
    events, versions = TicketEvent.objects.count(), list(Ticket.objects.values_list("version", "updated_at"))
    again = to_alertmanager(client, alertmanager, fixture("alertmanager-firing"))
    assert again.status_code == 200
    assert again.json() == {"created": [], "updated": [], "unchanged": first["created"]}
    assert TicketEvent.objects.count() == events
    assert list(Ticket.objects.values_list("version", "updated_at")) == versions
    replay = WebhookDelivery.objects.latest("id")
    assert (replay.outcome, replay.status_code, replay.answer) == ("replayed", 200, None)
    assert replay.reason == f"repeat of delivery #{WebhookDelivery.objects.earliest('id').pk}"


def test_a_repeat_in_another_body_writes_no_ticket_row_no_audit_event_and_no_link(client, alertmanager):
    to_alertmanager(client, alertmanager, fixture("alertmanager-firing"))
    links = list(ExternalTicket.objects.values_list("id", "sender_state", "updated_at"))
    events, versions = TicketEvent.objects.count(), list(Ticket.objects.values_list("version", "updated_at"))
    resent = fixture("alertmanager-firing") | {"receiver": "triage-backup"}  # another body, the same state
    response = to_alertmanager(client, alertmanager, resent)
    assert response.status_code == 200 and len(response.json()["unchanged"]) == 2
    assert response.json()["created"] == response.json()["updated"] == []
    assert TicketEvent.objects.count() == events
    assert list(Ticket.objects.values_list("version", "updated_at")) == versions
    assert list(ExternalTicket.objects.values_list("id", "sender_state", "updated_at")) == links
    assert WebhookDelivery.objects.latest("id").outcome == "accepted"


def test_resolved_closes_and_a_firing_after_it_reopens(client, alertmanager):
    to_alertmanager(client, alertmanager, fixture("alertmanager-firing"))
    response = to_alertmanager(client, alertmanager, fixture("alertmanager-resolved"))
    assert response.status_code == 200 and len(response.json()["updated"]) == 2
    assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}
    assert all(ticket.closed_at is not None for ticket in Ticket.objects.all())
    assert set(ExternalTicket.objects.values_list("sender_state", flat=True)) == {"closed"}
    # The alert fires again: a new episode, so a new startsAt (and a new body).
    again = fixture("alertmanager-firing")
    for alert in again["alerts"]:
        alert["startsAt"] = "2026-12-02T13:00:00Z"
    response = to_alertmanager(client, alertmanager, again)
    assert response.status_code == 200 and len(response.json()["updated"]) == 2
    assert set(Ticket.objects.values_list("status", flat=True)) == {"open"}
    assert set(Ticket.objects.values_list("closed_at", flat=True)) == {None}
    disk = tickets_by_fingerprint()["a3f1c2d4e5b60718"]
    ours = TicketEvent.objects.filter(ticket_id=disk.pk, kind="updated", actor_type="integration")
    changes = [event.changes for event in ours]
    assert changes == [{"status": ["in_progress", "closed"]}, {"status": ["closed", "open"]}]


def test_a_ticket_a_person_closed_while_its_alert_kept_firing_stays_closed(client, alertmanager, admin_user):
    to_alertmanager(client, alertmanager, fixture("alertmanager-firing"))
    latency = tickets_by_fingerprint()["0b9e8d7c6a5f4e32"]
    ticket_update(latency, actor=person(admin_user), source="api", status="closed")
    repeat = fixture("alertmanager-firing") | {"receiver": "triage-repeat"}
    response = to_alertmanager(client, alertmanager, repeat)
    assert latency.pk in response.json()["unchanged"]
    latency.refresh_from_db()
    assert latency.status == "closed"
    # Once the sender itself says resolved, a later firing is news: it reopens.
    to_alertmanager(client, alertmanager, fixture("alertmanager-resolved"))
    latency.refresh_from_db()
    assert latency.status == "closed"
    refire = fixture("alertmanager-firing") | {"receiver": "triage-refire"}
    to_alertmanager(client, alertmanager, refire)
    latency.refresh_from_db()
    assert latency.status == "open"


def test_resolved_for_an_alert_never_seen_creates_nothing(client, alertmanager):
    response = to_alertmanager(client, alertmanager, fixture("alertmanager-resolved"))
    assert response.status_code == 200
    assert response.json() == {"created": [], "updated": [], "unchanged": []}
    assert not Ticket.objects.exists() and not ExternalTicket.objects.exists()
    assert WebhookDelivery.objects.get().reason == "0 created, 0 updated, 0 unchanged"


def test_the_severity_to_priority_mapping_is_each_integrations(client, alertmanager):
    alertmanager.severity_priorities = {"Critical": "medium", "info": "high"}
    alertmanager.other_severity_priority = "medium"
    alertmanager.save()
    payload = alertmanager_group(4)
    for alert, severity in zip(payload["alerts"], ["critical", "INFO", "warning", None], strict=True):
        if severity is None:
            del alert["labels"]["severity"]
        else:
            alert["labels"]["severity"] = severity
    to_alertmanager(client, alertmanager, payload)
    priorities = {ticket.external_id: ticket.priority for ticket in Ticket.objects.all()}
    assert priorities == {
        "fp000000": "medium",
        "fp000001": "high",
        "fp000002": "medium",
        "fp000003": "medium",
    }


def test_by_default_critical_and_page_are_high_warning_medium_anything_else_low(client, alertmanager):
    payload = alertmanager_group(5)
    for alert, severity in zip(payload["alerts"], ["critical", "page", "warning", "info", ""], strict=True):
        alert["labels"]["severity"] = severity
    to_alertmanager(client, alertmanager, payload)
    priorities = [ticket.priority for ticket in Ticket.objects.order_by("external_id")]
    assert priorities == ["high", "high", "medium", "low", "low"]


def test_titles_are_cut_to_200_characters_and_fall_back_to_the_fingerprint(client, alertmanager):
    payload = alertmanager_group(3)
    payload["alerts"][0]["annotations"]["summary"] = "S" * 300
    del payload["alerts"][1]["annotations"]["summary"]
    for alert in payload["alerts"][2:]:
        alert["annotations"], alert["labels"] = {}, {}
    assert to_alertmanager(client, alertmanager, payload).status_code == 201
    titles = [ticket.title for ticket in Ticket.objects.order_by("external_id")]
    assert titles == ["S" * 200, "DiskFull", "Alert fp000002"]


def test_a_link_the_ticket_cannot_hold_is_left_out_not_refused(client, alertmanager):
    payload = alertmanager_group(1)
    payload["alerts"][0]["generatorURL"] = "http://prometheus:9090/graph?g0.expr=up == 0"
    assert to_alertmanager(client, alertmanager, payload).status_code == 201
    assert Ticket.objects.get().external_url == ""


def test_a_ticket_deleted_by_a_person_is_made_again_when_its_alert_fires_again(client, alertmanager):
    to_alertmanager(client, alertmanager, alertmanager_group(1))
    Ticket.objects.get().delete()
    response = to_alertmanager(client, alertmanager, alertmanager_group(1, receiver="again"))
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json()["created"] == [ticket.pk]
    assert ExternalTicket.objects.get().ticket_id == ticket.pk


def test_the_last_word_about_an_alert_in_one_group_counts(client, alertmanager):
    payload = alertmanager_group(1)
    payload["alerts"].append(alertmanager_group(1, status="resolved")["alerts"][0])
    response = to_alertmanager(client, alertmanager, payload)
    assert response.status_code == 200 and response.json()["created"] == []
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("size", [100, 500])
def test_a_group_costs_the_same_queries_whatever_its_size(
    client, alertmanager, django_assert_num_queries, size
):
    expected = QUERIES[connection.vendor]
    with django_assert_num_queries(expected["create"]):
        assert to_alertmanager(client, alertmanager, alertmanager_group(size)).status_code == 201
    with django_assert_num_queries(expected["close"]):
        assert (
            to_alertmanager(client, alertmanager, alertmanager_group(size, status="resolved")).status_code
            == 200
        )
    with django_assert_num_queries(expected["repeat"]):
        resent = alertmanager_group(size, status="resolved", receiver="again")
        assert to_alertmanager(client, alertmanager, resent).status_code == 200
    assert Ticket.objects.filter(status="closed").count() == size


def test_the_path_works_with_and_without_a_trailing_slash(client, alertmanager):
    path = f"/webhook/alertmanager/{alertmanager.name}/"
    response = to_alertmanager(client, alertmanager, fixture("alertmanager-firing"), path=path)
    assert response.status_code == 201 and Ticket.objects.count() == 2


def test_text_the_database_cannot_hold_is_made_storable_not_refused(client, alertmanager):
    payload = alertmanager_group(1)
    payload["alerts"][0]["annotations"]["summary"] = "Disk\u0000 full"
    payload["alerts"][0]["labels"]["zone\u0000"] = "eu"
    # A lone surrogate, as JSON may spell one.
    body = json.dumps(payload).replace("Disk", "Disk \\ud800").encode()
    assert to_alertmanager(client, alertmanager, body).status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.title == "Disk \ufffd full" and "zone=eu" in ticket.description
