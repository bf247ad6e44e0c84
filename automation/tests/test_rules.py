"""The rules through the model's save path, the bulk path, the log and the cache."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from automation import rulebook
from automation.models import AutomationLog, Rule
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketFactory, create_tickets, update_tickets

pytestmark = pytest.mark.django_db

HIGH = "High priority → Senior Analyst"
LOW = "Low priority → SupportBot"


def test_the_data_migration_installed_the_two_seed_rules():
    rules = list(Rule.objects.order_by("position"))
    assert [r.name for r in rules] == [HIGH, LOW]
    assert all(r.enabled and r.trigger == "both" and r.match == "all" for r in rules)
    high, low = (r.spec() for r in rules)
    assert [(c.field, c.operator, c.value) for c in high.conditions] == [
        ("priority", "changed", ""), ("priority", "is", "high"), ("status", "is_not", "closed"),
    ]  # fmt: skip
    assert [(a.field, a.value) for a in high.actions] == [
        ("assigned_to", "Senior Analyst"),
        ("status", "in_progress"),
    ]
    assert [(a.field, a.value) for a in low.actions] == [("assigned_to", "SupportBot")]


def test_a_high_ticket_is_stored_escalated_and_logged():
    ticket = Ticket.objects.create(title="Checkout down", priority="high", assigned_to="Dana")
    ticket.refresh_from_db()
    assert (ticket.assigned_to, ticket.status) == ("Senior Analyst", "in_progress")
    (log,) = AutomationLog.objects.all()
    assert (log.rule_name, log.ticket_id) == (HIGH, ticket.pk)
    assert log.changes == {"assigned_to": ["Dana", "Senior Analyst"], "status": ["open", "in_progress"]}
    assert log.save_id == TicketEvent.objects.get(ticket_id=ticket.pk, actor_type="rule").save_id


def test_a_low_ticket_goes_to_supportbot_and_a_medium_one_is_untouched():
    low = Ticket.objects.create(title="Password reset", priority="low")
    medium = Ticket.objects.create(title="Question", priority="medium")
    assert Ticket.objects.get(pk=low.pk).assigned_to == "SupportBot"
    assert Ticket.objects.get(pk=medium.pk).assigned_to == ""
    assert list(AutomationLog.objects.values_list("ticket_id", flat=True)) == [low.pk]


def test_raising_priority_to_high_later_fires_the_rule():
    ticket = TicketFactory(priority="medium", assigned_to="Dana")
    ticket.priority = "high"
    ticket.save()
    ticket.refresh_from_db()
    assert (ticket.assigned_to, ticket.status) == ("Senior Analyst", "in_progress")
    changes = {"assigned_to": ["Dana", "Senior Analyst"], "status": ["open", "in_progress"]}
    (log,) = AutomationLog.objects.filter(ticket_id=ticket.pk)
    assert (log.rule_name, log.changes) == (HIGH, changes)
    rule_event = TicketEvent.objects.get(ticket_id=ticket.pk, actor_type="rule")
    assert (rule_event.actor_name, rule_event.source, rule_event.changes) == (HIGH, "rule", changes)
    assert rule_event.save_id == log.save_id  # the rule's firing belongs to the save that raised priority


def test_closing_a_high_ticket_keeps_it_closed():
    ticket = Ticket.objects.create(title="Checkout down", priority="high")
    ticket.status = "closed"
    ticket.save()
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert AutomationLog.objects.count() == 1  # only the create


def test_a_disabled_rule_does_not_fire_and_the_cache_follows_at_once():
    Ticket.objects.create(title="first", priority="high")  # loads the rules into this process
    Rule.objects.filter(name=HIGH).update(enabled=False)  # a raw update: no signal
    rulebook.forget_rules()
    ticket = Ticket.objects.create(title="second", priority="high")
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_saving_a_rule_invalidates_the_cache():
    Ticket.objects.create(title="warm", priority="high")
    rule = Rule.objects.get(name=HIGH)
    rule.enabled = False
    rule.save()  # post_save clears every process's copy
    assert Ticket.objects.get(pk=Ticket.objects.create(title="x", priority="high").pk).status == "open"


def test_deleting_a_rule_invalidates_the_cache():
    Ticket.objects.create(title="warm", priority="high")
    Rule.objects.get(name=HIGH).delete()  # post_delete clears every process's copy
    assert Ticket.objects.get(pk=Ticket.objects.create(title="x", priority="high").pk).status == "open"


def test_fixture_loading_stores_rows_as_they_are(tmp_path):
    """`loaddata` (raw saves) runs no rule and writes no audit or log row: a fixture is a snapshot."""
    fixture = tmp_path / "tickets.json"
    fixture.write_text(
        json.dumps([{
            "model": "tickets.ticket", "pk": 4242,
            "fields": {
                "title": "From a fixture", "description": "", "status": "open", "priority": "high",
                "created_at": "2026-03-01T12:00:00Z", "updated_at": "2026-03-01T12:00:00Z",
                "assigned_to": "", "source": "system", "external_id": "", "version": 1,
            },
        }])
    )  # fmt: skip
    call_command("loaddata", str(fixture), verbosity=0)
    ticket = Ticket.objects.get(pk=4242)
    assert (ticket.status, ticket.assigned_to) == ("open", "")  # the high rule did not run
    assert not TicketEvent.objects.filter(ticket_id=4242).exists()
    assert not AutomationLog.objects.filter(ticket_id=4242).exists()


def test_rules_are_not_read_on_every_save():
    Ticket.objects.create(title="warm", priority="medium")
    with CaptureQueriesContext(connection) as queries:
        Ticket.objects.create(title="again", priority="high")
    assert not any("automation_rule" in q["sql"] for q in queries.captured_queries)


def test_a_ticket_created_in_a_batch_equals_one_saved_alone():
    alone = [Ticket.objects.create(title=f"t{p}", priority=p) for p in ("low", "medium", "high")]
    bulk = create_tickets(*({"title": f"t{p}", "priority": p} for p in ("low", "medium", "high")))
    fields = ("title", "description", "status", "priority", "assigned_to", "version")
    for one, other in zip(alone, bulk, strict=True):
        a = Ticket.objects.values(*fields).get(pk=one.pk)
        b = Ticket.objects.values(*fields).get(pk=other.pk)
        assert a == b
        log_a = list(AutomationLog.objects.filter(ticket_id=one.pk).values_list("rule_name", "changes"))
        log_b = list(AutomationLog.objects.filter(ticket_id=other.pk).values_list("rule_name", "changes"))
        assert log_a == log_b


def test_a_later_change_in_a_batch_runs_the_rules_as_an_update():
    (ticket,) = create_tickets({"title": "t", "priority": "medium"})
    update_tickets((ticket, {"priority": "high"}))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assigned_to, ticket.version) == ("in_progress", "Senior Analyst", 2)
    kinds = list(
        TicketEvent.objects.filter(ticket_id=ticket.pk).order_by("id").values_list("kind", "actor_type")
    )
    assert kinds == [("created", "system"), ("updated", "system"), ("updated", "rule")]


def test_the_database_refuses_to_rewrite_or_delete_log_rows():
    from django.db import IntegrityError, connection, transaction

    Ticket.objects.create(title="x", priority="high")
    log = AutomationLog.objects.get()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AutomationLog.objects.filter(pk=log.pk).update(rule_name="forged")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM automation_logs")
    log.refresh_from_db()
    assert log.rule_name == HIGH
