"""Every ticket write moves its count in the summary, in the same transaction, by appending rows."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from dashboard.models import TicketCount
from dashboard.tests.factories import at, recounted, summary, ticket_at
from tickets.models import Ticket
from tickets.tests.factories import create_tickets, update_tickets
from tickets.tests.stored import stored_state

pytestmark = pytest.mark.django_db

MARCH_1 = datetime.date(2026, 3, 1)


def test_a_new_ticket_is_counted_in_its_bucket():
    ticket_at(at("2026-03-01"), priority="medium", assigned_to="Dana")
    assert summary() == {(MARCH_1, "open", "medium", "Dana"): 1}


def test_writers_of_one_bucket_append_rows_and_never_rewrite_one():
    ticket_at(at("2026-03-01"))
    first = list(TicketCount.objects.values_list("id", "count"))
    ticket_at(at("2026-03-01"))
    assert list(TicketCount.objects.values_list("id", "count")) == [*first, (first[0][0] + 1, 1)]
    assert summary() == {(MARCH_1, "open", "medium", ""): 2}


def test_the_rules_outcome_is_what_gets_counted():
    ticket_at(at("2026-03-01"), priority="high")
    ticket_at(at("2026-03-01"), priority="low")
    assert summary() == {
        (MARCH_1, "in_progress", "high", "Senior Analyst"): 1,
        (MARCH_1, "open", "low", "SupportBot"): 1,
    }


def test_an_update_moves_the_ticket_between_buckets():
    ticket = ticket_at(at("2026-03-01"), priority="medium")
    ticket.status = "in_progress"
    ticket.assigned_to = "Dana"
    ticket.save()
    assert summary() == {(MARCH_1, "in_progress", "medium", "Dana"): 1}
    assert summary() == recounted()


def test_an_edit_that_moves_no_ticket_appends_nothing():
    ticket = ticket_at(at("2026-03-01"))
    rows = list(TicketCount.objects.values())
    ticket.title = "A clearer title"
    ticket.save()
    assert list(TicketCount.objects.values()) == rows


def test_a_refused_write_changes_nothing():
    ticket = ticket_at(at("2026-03-01"), priority="low")
    before = stored_state()
    ticket.status = "in_progress"  # low + in progress needs a proper assignee, not the bot
    with pytest.raises(ValidationError):
        ticket.save()
    assert stored_state() == before  # the summary rows, and the ticket and its trail too


def test_a_delete_takes_the_ticket_out():
    keep = ticket_at(at("2026-03-01"))
    gone = ticket_at(at("2026-03-01"))
    gone.delete()
    assert summary() == {(MARCH_1, "open", "medium", ""): 1}
    keep.delete()
    assert summary() == {}


def test_a_delete_through_a_stale_copy_uses_the_stored_values():
    ticket = ticket_at(at("2026-03-01"))
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket.status = "closed"
    ticket.save()
    stale.delete()  # still says "open" in memory
    assert summary() == {}
    assert summary() == recounted()


def test_deleting_a_ticket_twice_subtracts_it_once():
    ticket = ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-01"))
    twin = Ticket.objects.get(pk=ticket.pk)
    ticket.delete()
    before = stored_state()
    with pytest.raises(Ticket.DoesNotExist):
        twin.delete()  # another copy of the same ticket, as a second request would hold
    assert summary() == {(MARCH_1, "open", "medium", ""): 1}
    assert stored_state() == before  # no second deletion event either


def test_a_queryset_delete_counts_every_ticket():
    for _ in range(3):
        ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-02"))
    Ticket.objects.filter(created_at__lt=at("2026-03-02", 0)).delete()
    assert summary() == {(datetime.date(2026, 3, 2), "open", "medium", ""): 1}


def test_a_batch_counts_each_ticket_in_its_final_state():
    moved, _ = create_tickets(
        {"title": "Picked up later", "priority": "medium", "created_at": at("2026-03-01")},
        {"title": "Left alone", "priority": "low", "created_at": at("2026-03-01")},
    )
    update_tickets((moved, {"status": "in_progress", "assigned_to": "Dana"}), when=at("2026-03-02"))
    assert summary() == {
        (MARCH_1, "in_progress", "medium", "Dana"): 1,
        (MARCH_1, "open", "low", "SupportBot"): 1,
    }


def test_a_batch_update_moves_each_changed_ticket_by_its_stored_creation_day():
    one, two = create_tickets(
        *({"title": f"T{n}", "priority": "medium", "created_at": at("2026-03-01")} for n in (1, 2))
    )
    bare = Ticket(pk=one.pk)  # a caller that only knows the id; its created_at defaults to now
    update_tickets((bare, {"status": "closed"}), (two, {"title": "Renamed"}))
    assert summary() == {(MARCH_1, "closed", "medium", ""): 1, (MARCH_1, "open", "medium", ""): 1}
    assert summary() == recounted()


def test_days_are_counted_in_the_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    timezone.deactivate()
    ticket_at(at("2026-03-01", 23, 30))  # 00:30 on 2 March in Paris
    assert summary() == {(datetime.date(2026, 3, 2), "open", "medium", ""): 1}
    assert summary() == recounted()


def test_fixture_loading_is_not_counted(tmp_path):
    fixture = tmp_path / "tickets.json"
    moment = "2026-03-01T12:00:00Z"
    fields = {"title": "From a fixture", "created_at": moment, "updated_at": moment}
    fixture.write_text(json.dumps([{"model": "tickets.ticket", "pk": 999, "fields": fields}]))
    call_command("loaddata", str(fixture), verbosity=0)
    assert Ticket.objects.filter(pk=999).exists()
    assert summary() == {}
