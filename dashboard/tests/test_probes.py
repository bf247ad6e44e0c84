"""The dashboard's consistency probe, registered with the regression suite's data_consistency check."""

import datetime

import pytest
from django.db import connection

from dashboard import stats
from dashboard.models import TicketCount
from dashboard.probes import summary_matches_tickets
from dashboard.tests.factories import at, ticket_at
from qa.registry import CONSISTENCY_PROBES
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets_table_sql():
    """Run SQL on the tickets table directly, as drift happens: no model, no signals."""

    def run(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql.format(table=connection.ops.quote_name(Ticket._meta.db_table)), params)

    return run


def test_it_is_registered_under_its_name():
    assert CONSISTENCY_PROBES["dashboard_summary"] is summary_matches_tickets


def test_a_consistent_summary_has_no_violations():
    ticket_at(at("2026-03-01"))
    ticket_at(at("2026-03-02"), priority="low")
    assert summary_matches_tickets() == []


def test_each_wrong_bucket_is_a_violation_with_the_way_out():
    ticket_at(at("2026-03-01"))
    TicketCount.objects.update(count=3)
    TicketCount.objects.create(
        day="2026-03-05", status="closed", priority="high", assigned_to="Ghost", count=1
    )
    reasons = [violation.reason for violation in summary_matches_tickets()]
    assert reasons == [
        f"dashboard summary counts {stored} {what}, tickets say {actual} (run `manage.py rebuild_stats`)"
        for what, stored, actual in [
            ("closed/high tickets", 1, 0),
            ("open/medium tickets", 3, 1),
            ("tickets assigned to (unassigned)", 3, 1),
            ("tickets assigned to Ghost", 1, 0),
            ("tickets created on 2026-03-01", 3, 1),
            ("tickets created on 2026-03-05", 1, 0),
        ]
    ]


def test_a_ticket_changed_behind_the_models_back_is_found(tickets_table_sql):
    ticket = ticket_at(at("2026-03-01"), priority="low")
    tickets_table_sql(
        "UPDATE {table} SET status = 'closed', assigned_to = 'Nobody' WHERE id = %s", [ticket.pk]
    )

    reasons = [violation.reason for violation in summary_matches_tickets()]
    assert [reason.split(" (run")[0] for reason in reasons] == [
        "dashboard summary counts 0 closed/low tickets, tickets say 1",
        "dashboard summary counts 1 open/low tickets, tickets say 0",
        "dashboard summary counts 0 tickets assigned to Nobody, tickets say 1",
        "dashboard summary counts 1 tickets assigned to SupportBot, tickets say 0",  # the low rule's pick
    ]


def test_days_are_local_days(settings):
    settings.TIME_ZONE = "America/New_York"
    ticket_at(at("2026-03-02", 3))  # 22:00 on March 1st in New York
    stats.rebuild()

    assert stats.created_per_day([datetime.date(2026, 3, 1), datetime.date(2026, 3, 2)]) == {
        datetime.date(2026, 3, 1): 1,
        datetime.date(2026, 3, 2): 0,
    }
    assert summary_matches_tickets() == []


def test_a_creation_time_moved_behind_the_models_back_is_found_on_both_days(tickets_table_sql):
    ticket = ticket_at(at("2026-03-01"))
    tickets_table_sql("UPDATE {table} SET created_at = %s WHERE id = %s", [at("2026-03-04"), ticket.pk])

    assert [violation.reason.split(" (run")[0] for violation in summary_matches_tickets()] == [
        "dashboard summary counts 1 tickets created on 2026-03-01, tickets say 0",
        "dashboard summary counts 0 tickets created on days it has no row for, tickets say 1",
    ]


def test_days_across_a_clock_change_are_counted_whole(settings):
    settings.TIME_ZONE = "America/New_York"  # clocks went back at 02:00 on 1 November 2026: a 25-hour day
    ticket_at(at("2026-11-01", 4, 30))  # 00:30 EDT, 1 November
    ticket_at(at("2026-11-02", 4, 30))  # 23:30 EST, 1 November (05:00 UTC is midnight)
    ticket_at(at("2026-11-02", 5, 0))  # 00:00 EST, 2 November
    stats.rebuild()

    assert stats.created_per_day([datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)]) == {
        datetime.date(2026, 11, 1): 2,
        datetime.date(2026, 11, 2): 1,
    }
    assert summary_matches_tickets() == []
