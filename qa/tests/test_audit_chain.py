"""The audit_chain check finds a trail rewritten around the append-only triggers, and names the row."""

import json

import pytest
from django.db import connection

from qa.audit_chain import broken_links
from qa.registry import CHECKS
from qa.runner import run_regression
from qa.tests.log_validation import assert_logs_valid
from tickets.append_only import install_sql, remove_sql, run_sql
from tickets.models import TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def tamper(sql: str, params: list) -> None:
    """Change ticket_events as an attacker with database access would: triggers off, write, triggers on."""
    run_sql(connection, remove_sql(connection.vendor, "ticket_events"))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    run_sql(connection, install_sql(connection.vendor, "ticket_events"))


def findings():
    return CHECKS["audit_chain"].function()


@pytest.fixture
def trail():
    ticket = TicketFactory(priority="medium")
    ticket.priority = "high"
    ticket.save()  # created, updated, and the rule's escalation
    return ticket, list(TicketEvent.objects.filter(ticket_id=ticket.pk).order_by("id"))


def test_an_intact_trail_passes(trail):
    result = findings()
    assert (result.violations, result.examples) == (0, [])


def test_an_edited_event_is_found_by_its_hash(trail):
    ticket, events = trail
    tamper("UPDATE ticket_events SET actor_name = %s WHERE id = %s", ["someone else", events[1].pk])
    result = findings()
    assert result.violations == 1
    assert result.examples[0].ticket_id == ticket.pk
    assert f"event #{events[1].pk}: its content does not match its hash" == result.examples[0].reason


def test_a_removed_event_breaks_the_link_of_the_next_one(trail):
    ticket, events = trail
    tamper("DELETE FROM ticket_events WHERE id = %s", [events[1].pk])
    result = findings()
    assert result.violations == 1
    assert result.examples[0].reason.startswith(
        f"event #{events[2].pk}: its link to the previous event is broken"
    )


def test_a_rehashed_event_breaks_the_next_link(trail):
    ticket, events = trail
    tamper("UPDATE ticket_events SET hash = %s WHERE id = %s", ["0" * 64, events[0].pk])
    reasons = [violation.reason for violation in findings().examples]
    assert f"event #{events[0].pk}: its content does not match its hash" in reasons
    assert any(reason.startswith(f"event #{events[1].pk}: its link") for reason in reasons)


def test_the_window_limits_the_links_verified_to_the_newest_events(trail, settings):
    _, events = trail
    tamper("DELETE FROM ticket_events WHERE id = %s", [events[0].pk])  # now events[1] links to nothing
    left = len(events) - 1

    settings.TRIAGE_AUDIT_CHAIN_WINDOW = left - 1
    assert findings().violations == 0  # events[1] is just outside the window
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = left
    assert findings().violations == 1
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = left + 10  # more than there are
    assert findings().violations == 1
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = 0  # the whole trail
    assert findings().violations == 1


def test_a_long_broken_run_in_one_ticket_hides_no_other_ticket(settings):
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = 0
    tickets = TicketFactory.create_batch(3, priority="medium")
    for ticket in tickets:
        for priority in ("high", "low", "medium") * 40:  # 120 updates each, a link apiece
            ticket.priority = priority
            ticket.save()
    tamper("UPDATE ticket_events SET prev_hash = %s", ["f" * 64])  # every link broken

    total, examples = broken_links()
    assert total == TicketEvent.objects.count()  # every event counted,
    assert [example.ticket_id for example in examples] == [t.pk for t in tickets]  # one example per ticket
    first_events = [TicketEvent.objects.filter(ticket_id=t.pk).order_by("id")[0].pk for t in tickets]
    assert [example.reason.split(":")[0] for example in examples] == [f"event #{pk}" for pk in first_events]


def test_a_clean_window_costs_two_queries_and_the_whole_trail_one(trail, settings, django_assert_num_queries):
    with django_assert_num_queries(2):  # where the window starts, then its broken links (none: no count)
        assert broken_links() == (0, [])
    settings.TRIAGE_AUDIT_CHAIN_WINDOW = 0
    with django_assert_num_queries(1):
        assert broken_links() == (0, [])


def test_a_run_with_several_findings_on_one_ticket_logs_it_once_and_validates(trail, tmp_path):
    ticket, events = trail
    tamper("UPDATE ticket_events SET hash = %s WHERE id = %s", ["0" * 64, events[0].pk])
    report = run_regression(["audit_chain"], log_dir=tmp_path)

    (check,) = report.checks
    assert check.findings.violations >= 2  # the edited event, and the next one's link
    assert json.loads(report.log_file.read_text())["checks"][0]["ids"] == [ticket.pk]
    assert assert_logs_valid(tmp_path) == 1
