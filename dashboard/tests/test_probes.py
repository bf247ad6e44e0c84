"""The dashboard's consistency probe, registered with the regression suite's data_consistency check."""

import pytest

from dashboard.models import TicketCount
from dashboard.probes import summary_matches_tickets
from dashboard.tests.factories import at, ticket_at
from qa.registry import CONSISTENCY_PROBES, Violation

pytestmark = pytest.mark.django_db


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
    violations = summary_matches_tickets()
    assert violations == [
        Violation(
            ticket_id=None,
            reason="dashboard summary for 2026-03-01 open/medium/(unassigned) holds 3, tickets say 1 "
            "(run `manage.py rebuild_stats`)",
        ),
        Violation(
            ticket_id=None,
            reason="dashboard summary for 2026-03-05 closed/high/Ghost holds 1, tickets say 0 "
            "(run `manage.py rebuild_stats`)",
        ),
    ]
