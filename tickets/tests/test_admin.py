"""Django admin for tickets: admins and analysts work there, support cannot get in."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from automation.models import AutomationLog
from tickets import admin as ticket_admin
from tickets.invariants import ASSIGNMENT_RULE
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import stored_state, trail

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tickets_ticket_changelist")


@pytest.mark.parametrize("persona", ["admin_client", "analyst_client"])
def test_staff_see_the_changelist_with_filters_and_search(request, persona):
    client = request.getfixturevalue(persona)
    TicketFactory(title="VPN flapping in Leeds", assigned_to="Dana")
    TicketFactory(title="Invoice twice")
    response = client.get(CHANGELIST, {"q": "VPN"})
    assert response.status_code == 200
    assert b"VPN flapping in Leeds" in response.content
    assert b"Invoice twice" not in response.content
    filtered = client.get(CHANGELIST, {"assigned_to": "__none__", "status__exact": "open"})
    assert b"Invoice twice" in filtered.content
    assert b"VPN flapping" not in filtered.content
    drilled = client.get(CHANGELIST, {"created_at__year": Ticket.objects.first().created_at.year})
    assert drilled.status_code == 200


@pytest.mark.parametrize("persona", ["admin_client", "analyst_client"])
def test_staff_edit_a_ticket_and_the_trail_names_them(request, persona):
    client = request.getfixturevalue(persona)
    ticket = TicketFactory(title="Printer jam")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Audit trail" in page.content
    response = client.post(
        url,
        {
            "title": "Printer jam on 3rd floor", "description": "", "status": "open",
            "priority": "medium", "assigned_to": "Dana", "external_id": "",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        },
    )  # fmt: skip
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.title, ticket.assigned_to) == ("Printer jam on 3rd floor", "Dana")
    event = TicketEvent.objects.filter(ticket_id=ticket.pk).last()
    assert (event.source, event.actor_type, event.actor_name) == (
        "admin",
        "user",
        response.wsgi_request.user.username,
    )


def test_the_admin_form_shows_the_business_rule_error_and_writes_nothing(admin_client):
    ticket = TicketFactory(title="Reset MFA", priority="medium")
    before = stored_state()
    response = admin_client.post(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        {
            "title": "Reset MFA", "description": "", "status": "in_progress", "priority": "low",
            "assigned_to": "SupportBot", "external_id": "",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert b"cannot be in progress unless it is assigned" in response.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("open", "medium")
    assert stored_state() == before


@pytest.mark.parametrize("persona", ["admin_client", "analyst_client"])
def test_bulk_close_and_reassign(request, persona):
    client = request.getfixturevalue(persona)
    tickets = [TicketFactory(priority="medium") for _ in range(3)]
    ids = [str(t.pk) for t in tickets[:2]]
    response = client.post(
        CHANGELIST, {"action": "close_selected", "_selected_action": ids, "assigned_to": ""}
    )
    assert response.status_code == 302
    assert sorted(Ticket.objects.filter(status="closed").values_list("id", flat=True)) == sorted(
        int(i) for i in ids
    )
    closing = TicketEvent.objects.filter(ticket_id=tickets[0].pk, kind="updated").last()
    assert closing.changes == {"status": ["open", "closed"]} and closing.source == "admin"
    client.post(
        CHANGELIST,
        {"action": "reassign_selected", "_selected_action": [tickets[2].pk], "assigned_to": "Dana"},
    )
    tickets[2].refresh_from_db()
    assert tickets[2].assigned_to == "Dana"
    user = response.wsgi_request.user.username
    assert trail(tickets[2].pk)[-1] == ("updated", "user", user, "admin", {"assigned_to": ["", "Dana"]})
    assert Ticket.objects.get(pk=tickets[2].pk).status == "open"  # only the chosen action ran


def test_a_bulk_action_that_would_break_the_rule_changes_nothing(admin_client):
    ok = TicketFactory(priority="medium", status="in_progress", assigned_to="Dana")
    bad = TicketFactory(priority="low", status="in_progress", assigned_to="Eve")
    before = stored_state()
    response = admin_client.post(
        CHANGELIST,
        {"action": "reassign_selected", "_selected_action": [ok.pk, bad.pk], "assigned_to": "SupportBot"},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [f"Nothing changed: ticket #{bad.pk}: {ASSIGNMENT_RULE}"]
    assert set(Ticket.objects.values_list("assigned_to", flat=True)) == {"Dana", "Eve"}
    assert stored_state() == before  # not even the ticket the rule allowed


def test_the_audit_trail_is_read_only_in_admin(admin_client):
    ticket = TicketFactory()
    event = TicketEvent.objects.get(ticket_id=ticket.pk)
    change = admin_client.post(
        reverse("admin:tickets_ticketevent_change", args=[event.pk]), {"kind": "deleted"}
    )
    assert change.status_code == 403
    assert admin_client.get(reverse("admin:tickets_ticketevent_add")).status_code == 403
    assert admin_client.get(reverse("admin:tickets_ticketevent_changelist")).status_code == 200
    event.refresh_from_db()
    assert event.kind == "created"


def test_the_changelist_does_not_count_the_whole_table(admin_client, monkeypatch):
    monkeypatch.setattr(ticket_admin, "COUNT_CAP", 4)
    for _ in range(7):
        TicketFactory()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and '"tickets"' in q["sql"]]
    assert counts, "the changelist counts its rows"
    for sql in counts:  # every count of tickets stops at the cap and one, whatever the table holds
        assert "LIMIT 5" in sql, sql


# --- The rules through the admin, with their log and audit rows ----------------------------


def ticket_form(**values) -> dict:
    """A ticket's admin form as the browser posts it."""
    form = {
        "title": "Disk full on db-2", "description": "", "status": "open", "priority": "medium",
        "assigned_to": "", "external_id": "", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
    }  # fmt: skip
    return {**form, **values}


def rule_rows(ticket_id: int) -> list[tuple]:
    """(rule, changes) of the automation log, and (actor, source, changes) of the rules' audit events."""
    logs = AutomationLog.objects.filter(ticket_id=ticket_id).order_by("id")
    logs = list(logs.values_list("rule_name", "changes"))
    events = list(
        TicketEvent.objects.filter(ticket_id=ticket_id, actor_type="rule")
        .order_by("id")
        .values_list("actor_name", "source", "changes")
    )
    return logs, events


def test_a_high_ticket_created_in_admin_is_routed_logged_and_audited(admin_client):
    response = admin_client.post(reverse("admin:tickets_ticket_add"), ticket_form(priority="high"))
    assert response.status_code == 302
    ticket = Ticket.objects.get(title="Disk full on db-2")
    assert (ticket.assigned_to, ticket.status, ticket.source) == ("Senior Analyst", "in_progress", "admin")
    changes = {"assigned_to": ["", "Senior Analyst"], "status": ["open", "in_progress"]}
    logs, events = rule_rows(ticket.pk)
    assert logs == [("High priority → Senior Analyst", changes)]
    assert events == [("High priority → Senior Analyst", "rule", changes)]


def test_raising_priority_in_admin_fires_the_rule_once(admin_client):
    ticket = TicketFactory(title="Disk full on db-2", priority="medium")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    admin_client.post(url, ticket_form(priority="high"))
    ticket.refresh_from_db()
    assert (ticket.assigned_to, ticket.status) == ("Senior Analyst", "in_progress")
    logs, events = rule_rows(ticket.pk)
    assert len(logs) == len(events) == 1

    admin_client.post(url, ticket_form(priority="high", status="closed", assigned_to="Senior Analyst"))
    ticket.refresh_from_db()
    assert ticket.status == "closed"  # closing a high ticket does not reopen it
    assert rule_rows(ticket.pk) == (logs, events)  # and fires nothing more


def test_a_low_ticket_created_in_admin_goes_to_the_bot(analyst_client):
    analyst_client.post(reverse("admin:tickets_ticket_add"), ticket_form(priority="low"))
    ticket = Ticket.objects.get(title="Disk full on db-2")
    assert (ticket.assigned_to, ticket.status) == ("SupportBot", "open")
    logs, events = rule_rows(ticket.pk)
    assert [name for name, _ in logs] == [name for name, _, _ in events] == ["Low priority → SupportBot"]


def test_the_changelist_counts_at_most_past_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(ticket_admin, "COUNT_CAP", 4)
    for _ in range(7):
        TicketFactory()
    response = admin_client.get(CHANGELIST)
    assert response.context["cl"].paginator.count == 5  # the cap and one: "more than 4", not 7


def test_support_cannot_post_admin_actions_or_forms(support_client):
    ticket = TicketFactory(priority="medium")
    before = stored_state()
    closing = support_client.post(CHANGELIST, {"action": "close_selected", "_selected_action": [ticket.pk]})
    editing = support_client.post(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]), ticket_form(title="Hijacked")
    )
    for response in (closing, editing):
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.title != "Hijacked"
    assert stored_state() == before
