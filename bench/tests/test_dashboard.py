"""Smoke test of the dashboard benchmark: its naive queries compute what the dashboard shows."""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from bench.dashboard import cases, naive_numbers
from dashboard import selectors
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("case", list(cases()))
def test_the_naive_baseline_and_the_dashboard_agree(case):
    now = timezone.now()
    for n, (priority, assignee) in enumerate(
        [("high", ""), ("low", ""), ("medium", "Dana"), ("medium", "")] * 3
    ):
        TicketFactory(
            title="Outage" if n % 2 else "Access", priority=priority, assigned_to=assignee,
            created_at=now - datetime.timedelta(days=n),
        )  # fmt: skip
    today = selectors.local_today()
    query = cases()[case]
    naive = naive_numbers(query, today=today)
    filterset = selectors.dashboard_filter(QueryDict(query), today=today)
    assert filterset.is_valid()
    shown = selectors.dashboard_numbers(filterset, today=today)
    assert naive["by_status"] == {k: v for k, v in shown.by_status.items() if v}
    assert naive["by_priority"] == {k: v for k, v in shown.by_priority.items() if v}
    assert naive["by_assignee"] == shown.by_assignee
    assert naive["created_per_day"] == {p["date"]: p["count"] for p in shown.created_per_day if p["count"]}
    assert naive["latest"] == [ticket.pk for ticket in shown.latest]
