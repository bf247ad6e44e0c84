"""The write pipeline: one function for every write, its signals, their order, and the server's fields."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tickets.models import Ticket, TicketEvent, VersionConflict
from tickets.pipeline import TicketChange, TicketRefused, write_tickets
from tickets.signals import BEFORE_WRITE_ORDER, OrderedSignal, before_write
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import nothing_stored, stored_state

pytestmark = pytest.mark.django_db


def test_a_batch_of_one_is_a_save():
    (write,) = write_tickets([TicketChange.create({"title": "Disk full", "priority": "high"})])
    ticket = Ticket.objects.get(pk=write.ticket.pk)
    assert (ticket.status, ticket.assigned_to, ticket.version) == ("in_progress", "Senior Analyst", 1)
    assert [e.kind for e in TicketEvent.objects.filter(ticket_id=ticket.pk)] == ["created", "updated"]


def test_a_refused_write_in_a_batch_names_its_ticket_and_writes_nothing():
    good, bad = TicketFactory(priority="medium"), TicketFactory(priority="low")
    before = stored_state()
    changes = [
        TicketChange.update(good.pk, {"status": "closed"}),
        TicketChange.update(bad.pk, {"status": "in_progress"}),  # low, in progress, the bot: refused
    ]
    with pytest.raises(TicketRefused) as refused:
        write_tickets(changes)
    assert (refused.value.index, refused.value.ticket_id) == (1, bad.pk)
    assert list(refused.value.message_dict) == ["status"]
    assert stored_state() == before


def test_only_tracked_fields_may_be_written():
    with pytest.raises(TypeError, match="closed_at"):
        TicketChange.create({"title": "x", "closed_at": timezone.now()})


def test_a_write_to_a_ticket_at_another_version_is_refused():
    ticket = TicketFactory()
    before = stored_state()
    with pytest.raises(VersionConflict):
        write_tickets([TicketChange.update(ticket.pk, {"title": "late"}, expected_versions={7})])
    assert stored_state() == before


def test_a_write_to_a_ticket_that_is_gone_is_refused():
    with pytest.raises(Ticket.DoesNotExist):
        write_tickets([TicketChange.update(987_654, {"title": "ghost"})])
    assert stored_state() == nothing_stored()


def test_a_write_that_changes_nothing_writes_nothing():
    ticket = TicketFactory()
    before = stored_state()
    (write,) = write_tickets([TicketChange.update(ticket.pk, {"title": ticket.title})])
    assert write.changes == {}
    assert stored_state() == before


def test_closed_at_is_set_on_close_cleared_on_reopen_and_moves_no_version():
    ticket = TicketFactory(priority="medium")
    ticket.status = "closed"
    ticket.save()
    closed_at = Ticket.objects.get(pk=ticket.pk).closed_at
    assert closed_at == ticket.updated_at and ticket.version == 2
    ticket.title = "Renamed while closed"
    ticket.save()
    assert Ticket.objects.get(pk=ticket.pk).closed_at == closed_at
    ticket.status = "open"
    ticket.save()
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.closed_at, stored.version) == (None, 4)


def test_a_ticket_created_closed_is_closed_when_it_is_created():
    (write,) = write_tickets([TicketChange.create({"title": "Done already", "status": "closed"})])
    stored = Ticket.objects.get(pk=write.ticket.pk)
    assert stored.closed_at == stored.created_at


def test_a_server_field_changed_by_a_receiver_is_stored_without_moving_the_version():
    ticket = TicketFactory()

    def close_the_books(sender, writes, **kwargs):
        for write in writes:
            write.ticket.closed_at = timezone.now()  # a field only the server writes

    before_write.connect(close_the_books, dispatch_uid="test.server_field")
    try:
        write_tickets([TicketChange.update(ticket.pk, {})])
    finally:
        before_write.disconnect(dispatch_uid="test.server_field")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.closed_at is not None
    assert (stored.version, stored.updated_at) == (ticket.version, ticket.updated_at)


def test_what_a_receiver_makes_is_validated_too():
    ticket = TicketFactory(priority="medium")
    before = stored_state()

    def break_the_rule(sender, writes, **kwargs):
        for write in writes:
            write.ticket.status = "nonsense"

    before_write.connect(break_the_rule, dispatch_uid="test.break_the_rule")
    try:
        with pytest.raises(ValidationError):
            write_tickets([TicketChange.update(ticket.pk, {"title": "x"})])
    finally:
        before_write.disconnect(dispatch_uid="test.break_the_rule")
    assert stored_state() == before


def test_before_write_receivers_run_in_the_declared_order_whatever_order_they_connect_in():
    signal = OrderedSignal(BEFORE_WRITE_ORDER)
    ran = []

    def receiver(name):
        def run(sender, **kwargs):
            ran.append(name)

        return run

    receivers = {uid: receiver(uid) for uid in ("other.a", *reversed(BEFORE_WRITE_ORDER), "other.b")}
    for uid, function in receivers.items():
        signal.connect(function, dispatch_uid=uid)
    signal.send(sender=Ticket)
    assert ran == [*BEFORE_WRITE_ORDER, "other.a", "other.b"]


def test_the_rules_run_first_among_the_real_receivers():
    first = before_write.receivers[0][0][0]
    assert first == "automation.apply_rules" == BEFORE_WRITE_ORDER[0]


def test_a_receiver_without_a_dispatch_uid_is_refused():
    with pytest.raises(TypeError, match="dispatch_uid"):
        before_write.connect(lambda sender, **kwargs: None)
