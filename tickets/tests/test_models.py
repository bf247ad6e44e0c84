"""The ticket table's constraints and the model's own validation."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.stored import nothing_stored, stored_row, stored_state

pytestmark = pytest.mark.django_db

INSERT = (
    "INSERT INTO tickets (title, description, status, priority, created_at, updated_at,"
    " assigned_to, source, external_id, version) VALUES (%s, '', %s, %s, %s, %s, '', 'system', '', 1)"
)


def raw_insert(title="ok", status="open", priority="medium"):
    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT, [title, status, priority, now, now])


@pytest.mark.parametrize(
    "values",
    [
        {"status": "pending"},
        {"priority": "urgent"},
        {"title": ""},
        {"title": "   "},
        {"title": " \t\n "},
    ],
)
def test_the_database_rejects_bad_enums_and_blank_titles(values):
    with pytest.raises(IntegrityError):
        raw_insert(**values)
    assert Ticket.objects.count() == 0


def test_the_database_accepts_a_valid_row():
    raw_insert()
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "values, field",
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"status": "pending"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"assigned_to": "y" * 101}, "assigned_to"),
    ],
)
def test_save_refuses_bad_values_naming_the_field(values, field):
    with pytest.raises(ValidationError) as caught:
        Ticket(**{"title": "Printer on fire", **values}).save()
    assert field in caught.value.message_dict
    assert stored_state() == nothing_stored()


def test_a_new_ticket_has_defaults_and_matching_timestamps():
    ticket = Ticket.objects.create(title="Printer on fire")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.description, ticket.assigned_to) == (
        "open",
        "medium",
        "",
        "",
    )
    assert ticket.created_at == ticket.updated_at
    assert ticket.created_at.tzinfo is not None
    assert ticket.version == 1


def test_names_are_trimmed():
    ticket = Ticket.objects.create(title="  Printer on fire ", assigned_to=" Dana ")
    ticket.refresh_from_db()
    assert (ticket.title, ticket.assigned_to) == ("Printer on fire", "Dana")


def test_updated_at_and_version_move_only_on_real_changes():
    ticket = TicketFactory()
    stamp, version = ticket.updated_at, ticket.version
    ticket.save()
    ticket.refresh_from_db()
    assert (ticket.updated_at, ticket.version) == (stamp, version)
    ticket.description = "More detail"
    ticket.save()
    ticket.refresh_from_db()
    assert ticket.updated_at > stamp
    assert ticket.version == version + 1


def test_a_partial_save_keeps_the_other_stored_values():
    ticket = TicketFactory(title="Original")
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket.title = "Renamed"
    ticket.save()
    stale.description = "Only this"
    stale.save(update_fields=["description"])
    ticket.refresh_from_db()
    assert (ticket.title, ticket.description) == ("Renamed", "Only this")


def test_the_low_in_progress_rule_is_enforced_on_save():
    with pytest.raises(ValidationError) as caught:
        Ticket.objects.create(title="Reset password", priority="low", status="in_progress", assigned_to="")
    assert "status" in caught.value.message_dict
    assert stored_state() == nothing_stored()


@pytest.mark.parametrize("assignee", ["", "   ", "SupportBot", " supportbot "])
def test_a_bot_or_nobody_is_not_a_proper_assignee(assignee):
    ticket = TicketFactory(priority="medium", status="in_progress", assigned_to="Dana")
    before = stored_state()
    ticket.priority = "low"
    ticket.assigned_to = assignee
    with pytest.raises(ValidationError) as caught:
        ticket.save()
    assert "assigned_to" in caught.value.message_dict
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assigned_to) == ("medium", "Dana")
    assert stored_state() == before


def test_bot_names_are_a_setting(settings):
    settings.TRIAGE_BOT_NAMES = ["Autobot"]
    ticket = Ticket.objects.create(title="x", priority="low", status="in_progress", assigned_to="SupportBot")
    row = stored_row(ticket.pk)
    assert (row["priority"], row["status"], row["assigned_to"]) == ("low", "in_progress", "SupportBot")
    before = stored_state()
    with pytest.raises(ValidationError):
        Ticket.objects.create(title="y", priority="low", status="in_progress", assigned_to="AUTOBOT")
    assert stored_state() == before
