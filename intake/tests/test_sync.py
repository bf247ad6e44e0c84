"""Applying events to tickets directly: refusals skipped one by one, claims that make no ticket undone."""

import pytest

from intake.events import ACKNOWLEDGED, OPEN, AlertEvent
from intake.models import ExternalTicket
from intake.sync import apply_events
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def incident(external_id: str, priority: str) -> AlertEvent:
    values = {"title": f"Incident {external_id}", "priority": priority, "external_id": external_id}
    return AlertEvent(external_id, OPEN, creates=values)


def test_no_events_write_nothing(pagerduty, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert apply_events(pagerduty, []).answer() == {"created": [], "updated": [], "unchanged": []}


def test_one_refused_change_is_skipped_and_the_rest_of_the_batch_is_written(pagerduty):
    created = apply_events(
        pagerduty, [incident("P1", "low"), incident("P2", "medium"), incident("P3", "low")]
    )
    assert len(created.created) == 3
    # Acknowledged by nobody in particular: the low tickets would be in progress unassigned.
    acks = [AlertEvent(key, ACKNOWLEDGED) for key in ("P1", "P2", "P3")]
    result = apply_events(pagerduty, acks)
    p1, p2, p3 = (Ticket.objects.get(external_id=key) for key in ("P1", "P2", "P3"))
    assert result.updated == [p2.pk] and result.unchanged == [p1.pk, p3.pk]
    assert (p1.status, p2.status, p3.status) == ("open", "in_progress", "open")
    assert len(result.skipped) == 2 and result.skipped[0].startswith(f"ticket #{p1.pk} for P1: status: ")
    assert "skipped ticket" in result.summary()
    assert set(ExternalTicket.objects.values_list("sender_state", flat=True)) == {"acknowledged"}


def test_a_creation_the_ticket_rules_refuse_leaves_no_claim_behind(pagerduty):
    blank = AlertEvent("P9", OPEN, creates={"title": "   ", "external_id": "P9"})
    result = apply_events(pagerduty, [blank, incident("P10", "medium")])
    assert len(result.created) == 1 and result.skipped[0].startswith("a new ticket for P9: title: ")
    assert list(ExternalTicket.objects.values_list("external_id", flat=True)) == ["P10"]
    assert TicketEvent.objects.filter(kind="created").count() == 1
