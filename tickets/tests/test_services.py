"""The write services the API and the webhook share: model save path, named actor, named fields."""

import pytest
from django.core.exceptions import ValidationError

from tickets import services
from tickets.audit import Actor
from tickets.models import Ticket, TicketEvent, VersionConflict
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import nothing_stored, stored_state

pytestmark = pytest.mark.django_db

BOT = Actor("integration", 7, "acme")


def test_create_applies_the_rules_and_audits_the_actor_and_source():
    ticket = services.ticket_create(actor=BOT, source="webhook", title="Down", priority="high")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.source, stored.assigned_to, ticket.assigned_to) == (
        "webhook",
        "Senior Analyst",
        "Senior Analyst",
    )
    created = TicketEvent.objects.filter(ticket_id=ticket.pk).first()
    assert (created.actor_type, created.actor_id, created.actor_name, created.source) == (
        "integration", 7, "acme", "webhook"
    )  # fmt: skip


def test_update_writes_only_the_named_fields():
    ticket = TicketFactory(title="Old", description="theirs")
    stale = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(description="changed meanwhile")
    services.ticket_update(stale, actor=BOT, source="api", title="New")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.title, stored.description) == ("New", "changed meanwhile")
    assert TicketEvent.objects.filter(ticket_id=ticket.pk).last().changes == {"title": ["Old", "New"]}


def test_a_refused_update_writes_nothing():
    ticket = TicketFactory(priority="low", assigned_to="Dana", status="in_progress")
    before = stored_state()
    with pytest.raises(ValidationError) as refused:
        services.ticket_update(ticket, actor=BOT, source="api", assigned_to="")
    assert list(refused.value.message_dict) == ["assigned_to"]
    assert Ticket.objects.get(pk=ticket.pk).assigned_to == "Dana"
    assert stored_state() == before


def test_only_tracked_fields_may_be_set():
    with pytest.raises(TypeError, match="version"):
        services.ticket_create(actor=BOT, source="api", title="x", version=5)
    assert stored_state() == nothing_stored()


def test_delete_keeps_the_trail_with_the_actor():
    ticket = TicketFactory()
    ticket_id = ticket.pk
    services.ticket_delete(ticket, actor=BOT, source="api")
    assert not Ticket.objects.filter(pk=ticket_id).exists()
    deleted = TicketEvent.objects.filter(ticket_id=ticket_id).last()
    assert (deleted.kind, deleted.actor_name, deleted.source) == ("deleted", "acme", "api")


def test_an_update_based_on_another_version_raises_a_conflict_and_writes_nothing():
    ticket = TicketFactory(title="Read at version 1")
    services.ticket_update(Ticket.objects.get(pk=ticket.pk), actor=BOT, source="api", title="Now version 2")
    before = stored_state()
    with pytest.raises(VersionConflict) as conflict:
        services.ticket_update(ticket, actor=BOT, source="api", expected_versions={1}, title="Stale")
    assert (conflict.value.expected, conflict.value.current) == (frozenset({1}), 2)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.title, stored.version) == ("Now version 2", 2)
    assert stored_state() == before
    services.ticket_update(ticket, actor=BOT, source="api", expected_versions={2}, title="Based on 2")
    assert Ticket.objects.get(pk=ticket.pk).version == 3


def test_a_delete_based_on_another_version_raises_a_conflict_and_keeps_the_ticket():
    ticket = TicketFactory()
    services.ticket_update(Ticket.objects.get(pk=ticket.pk), actor=BOT, source="api", title="Moved on")
    before = stored_state()
    with pytest.raises(VersionConflict):
        services.ticket_delete(ticket, actor=BOT, source="api", expected_versions={1})
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not TicketEvent.objects.filter(ticket_id=ticket.pk, kind="deleted").exists()
    assert stored_state() == before
    services.ticket_delete(ticket, actor=BOT, source="api", expected_versions={2})
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_writing_a_ticket_deleted_meanwhile_raises_does_not_exist_instead_of_recreating_it():
    ticket = TicketFactory()
    Ticket.objects.filter(pk=ticket.pk).delete()
    before = stored_state()
    with pytest.raises(Ticket.DoesNotExist):
        services.ticket_update(ticket, actor=BOT, source="api", title="Back from the dead?")
    with pytest.raises(Ticket.DoesNotExist):
        ticket.save()
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert stored_state() == before
