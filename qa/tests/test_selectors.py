"""`latest_run_summary()`: the dashboard's view of the latest run, in the documented shape."""

import pytest

from qa.registry import CHECKS, Check
from qa.runner import run_regression
from qa.selectors import latest_run_summary
from qa.tests.drift import update_ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_it_is_none_before_any_run():
    assert latest_run_summary() is None


def test_it_shows_the_latest_run_in_the_dashboard_shape(django_assert_num_queries):
    run_regression()
    ticket = TicketFactory(priority="medium")
    update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="")
    latest = run_regression(["status_integrity", "priority_escalation"])
    with django_assert_num_queries(2):
        summary = latest_run_summary()
    assert summary == {
        "ran_at": latest.finished_at.isoformat(),
        "passed": False,
        "outcome": "failed",
        "checks": [
            {"name": "status_integrity", "passed": True, "violations": 0, "outcome": "passed"},
            {"name": "priority_escalation", "passed": False, "violations": 1, "outcome": "failed"},
        ],
    }


def test_a_check_that_could_not_run_says_so_rather_than_failing_with_no_violations(monkeypatch):
    def crash():
        raise RuntimeError("boom")

    monkeypatch.setitem(CHECKS, "status_integrity", Check("status_integrity", "Crashes.", crash))
    run_regression(["status_integrity"])
    summary = latest_run_summary()
    assert summary["outcome"] == "error"
    (check,) = summary["checks"]
    assert check == {"name": "status_integrity", "passed": False, "violations": 0, "outcome": "error"}
