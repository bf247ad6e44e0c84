"""Every save path leaves an audit trail with the right actor, source, and old/new values."""

import pytest
from django.test import override_settings

from tickets.audit import Actor, acting_as
from tickets.events import expected_hash
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import TicketFactory, create_tickets, update_tickets
from tickets.tests.stored import nothing_stored, stored_state

pytestmark = pytest.mark.django_db


def events_of(ticket):
    return list(TicketEvent.objects.filter(ticket_id=ticket.pk).order_by("id"))


def test_a_shell_create_is_recorded_as_the_system():
    ticket = Ticket.objects.create(title="Disk full", priority="medium")
    (event,) = events_of(ticket)
    assert (event.kind, event.actor_type, event.actor_name, event.source) == (
        "created",
        "system",
        "system",
        "system",
    )
    assert event.changes["title"] == [None, "Disk full"]
    assert event.changes["priority"] == [None, "medium"]
    assert event.created_at == ticket.created_at


def test_an_update_records_only_what_changed_with_old_and_new(admin_user):
    ticket = TicketFactory(title="Disk full", assigned_to="")
    with acting_as(Actor.for_user(admin_user), source="api"):
        ticket.title = "Disk full on db-1"
        ticket.assigned_to = "Dana"
        ticket.save()
    event = events_of(ticket)[-1]
    assert event.kind == "updated"
    assert event.changes == {"title": ["Disk full", "Disk full on db-1"], "assigned_to": ["", "Dana"]}
    assert (event.actor_type, event.actor_id, event.actor_name, event.source) == (
        "user", admin_user.pk, "alice", "api",
    )  # fmt: skip


def test_a_save_without_changes_writes_no_event():
    ticket = TicketFactory()
    before = stored_state()
    ticket.save()
    assert stored_state() == before  # no event, and no version, timestamp or summary row moved


def test_rule_changes_are_recorded_with_the_rule_as_actor():
    ticket = Ticket.objects.create(title="Site down", priority="high", assigned_to="Dana")
    created, by_rule = events_of(ticket)
    assert created.changes["assigned_to"] == [None, "Dana"]
    assert (by_rule.actor_type, by_rule.source) == ("rule", "rule")
    assert by_rule.actor_name == "High priority → Senior Analyst"
    assert by_rule.changes == {"assigned_to": ["Dana", "Senior Analyst"], "status": ["open", "in_progress"]}
    assert created.save_id == by_rule.save_id


def test_the_deletion_event_records_the_stored_row_not_the_object_in_hand(admin_user):
    ticket = TicketFactory(title="Stored title", priority="medium")
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket.title = "Renamed meanwhile"
    ticket.save()
    stale.title = "Edited in memory, never saved"
    with acting_as(Actor.for_user(admin_user), source="admin"):
        stale.delete()
    deleted = events_of(ticket)[-1]
    assert deleted.kind == "deleted"
    assert deleted.changes["title"] == ["Renamed meanwhile", None]
    assert deleted.changes["priority"] == ["medium", None]


def test_deleting_keeps_the_trail_and_records_the_deletion(admin_user):
    ticket = TicketFactory(title="Old")
    ticket_id = ticket.pk
    with acting_as(Actor.for_user(admin_user), source="admin"):
        ticket.delete()
    events = list(TicketEvent.objects.filter(ticket_id=ticket_id).order_by("id"))
    assert events[-1].kind == "deleted"
    assert events[-1].changes["title"] == ["Old", None]
    assert events[-1].actor_name == "alice"
    assert not Ticket.objects.filter(pk=ticket_id).exists()


def test_events_are_hash_chained_per_ticket():
    ticket = TicketFactory(priority="medium")
    ticket.priority = "high"
    ticket.save()
    events = events_of(ticket)
    assert len(events) == 3  # created, priority changed, the rule's escalation
    prev = ""
    for event in events:
        assert event.prev_hash == prev
        assert event.hash == expected_hash(event)
        prev = event.hash


def test_events_are_signed_with_the_current_key_and_verify_with_it_alone():
    ticket = TicketFactory(priority="medium")
    (event,) = events_of(ticket)
    assert event.key_id == "test"
    assert event.hash == expected_hash(event)
    with override_settings(TRIAGE_AUDIT_KEYS=[("test", b"another key of sixteen bytes or more")]):
        assert expected_hash(event) != event.hash


def test_after_a_key_rotation_new_events_use_the_new_key_and_old_ones_still_verify():
    old = TicketFactory(priority="medium")
    keys = [("k2", b"the second key, thirty-two bytes!"), ("test", b"test-suite-audit-key-not-a-secret")]
    with override_settings(TRIAGE_AUDIT_KEYS=keys):
        new = TicketFactory(priority="medium")
        (old_event,), (new_event,) = events_of(old), events_of(new)
        assert (old_event.key_id, new_event.key_id) == ("test", "k2")
        assert expected_hash(old_event) == old_event.hash
        assert expected_hash(new_event) == new_event.hash
    # Without the new key configured, its events cannot be verified.
    assert expected_hash(new_event) is None


def test_batch_writes_leave_the_same_events_as_single_saves():
    one = Ticket.objects.create(title="Same", priority="low")
    (two,) = create_tickets({"title": "Same", "priority": "low"})
    first, second = events_of(one), events_of(two)
    assert [(e.kind, e.actor, e.source, e.changes) for e in first] == [
        (e.kind, e.actor, e.source, e.changes) for e in second
    ]
    update_tickets((two, {"status": "closed"}))
    assert events_of(two)[-1].changes == {"status": ["open", "closed"]}
    assert events_of(two)[-1].prev_hash == second[-1].hash


def test_a_failure_while_auditing_rolls_back_the_ticket(monkeypatch):
    from tickets import events

    def broken(*args, **kwargs):
        raise RuntimeError("audit storage failed")

    monkeypatch.setattr(events, "signed_rows", broken)
    with pytest.raises(RuntimeError):
        Ticket.objects.create(title="Never stored")
    assert stored_state() == nothing_stored()


def test_the_database_refuses_to_rewrite_or_delete_audit_rows():
    from django.db import IntegrityError, connection, transaction

    ticket = TicketFactory(title="Evidence")
    event = TicketEvent.objects.get(ticket_id=ticket.pk)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(actor_name="someone else")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM ticket_events WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.actor_name == "system"


@pytest.mark.django_db(transaction=True)
def test_a_deliberate_flush_still_empties_everything_and_keeps_the_protection():
    from django.core.management import call_command
    from django.db import IntegrityError, connection

    from tickets.append_only import protected_tables

    TicketFactory()
    call_command("flush", interactive=False, verbosity=0)
    assert TicketEvent.objects.count() == 0
    assert "ticket_events" in protected_tables(connection)
    TicketFactory()
    with pytest.raises(IntegrityError):
        TicketEvent.objects.all().delete()
