"""The summary answers the API's list totals exactly, without counting tickets."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from tickets.filters import TicketFilter
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

QUERIES = [
    "",
    "status=open",
    "status=open&status=closed&priority=low",
    "assigned_to=Dana",
    "unassigned=true",
    "unassigned=false&priority=medium",
    "created_after=2026-03-02&created_before=2026-03-03",
]


@pytest.fixture
def tickets():
    import datetime

    for day, priority, status, assignee in [
        (1, "low", "open", ""), (2, "medium", "closed", "Dana"), (2, "high", "open", ""),
        (3, "medium", "in_progress", "Dana"), (4, "low", "closed", ""),
    ]:  # fmt: skip
        TicketFactory(
            priority=priority, status=status, assigned_to=assignee,
            created_at=datetime.datetime(2026, 3, day, 12, tzinfo=datetime.UTC),
        )  # fmt: skip


@pytest.mark.parametrize("query", QUERIES)
def test_the_known_count_equals_a_recount(tickets, query):
    filterset = TicketFilter(QueryDict(query), queryset=Ticket.objects.all())
    assert filterset.is_valid()
    assert filterset.known_count() == filterset.qs.count()


def test_search_is_left_to_a_real_count(tickets):
    filterset = TicketFilter(QueryDict("search=x"), queryset=Ticket.objects.all())
    assert filterset.is_valid() and filterset.known_count() is None


def test_the_api_list_does_not_count_tickets(tickets, admin_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/tickets", {"status": "open"}).json()
    assert body["count"] == Ticket.objects.filter(status="open").count() == 1
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in sqls if "COUNT(" in sql.upper() and 'FROM "tickets"' in sql]
    assert any("dashboard_ticket" in sql and "SUM(" in sql.upper() for sql in sqls), sqls


def test_every_filter_is_mapped_to_the_summary_or_to_a_count_over_the_tickets():
    """A new filter (of this project or another app's) must say how it is counted."""
    from dashboard.selectors import COUNTED_FROM_TICKETS, SUMMARY_CONDITIONS

    unmapped = set(TicketFilter.base_filters) - set(SUMMARY_CONDITIONS) - set(COUNTED_FROM_TICKETS)
    assert unmapped == set()
    assert not set(SUMMARY_CONDITIONS) & set(COUNTED_FROM_TICKETS)


def test_a_filter_the_summary_does_not_know_is_counted_from_the_tickets(tickets):
    from dashboard.selectors import summary_answers

    assert summary_answers({"status": ["open"], "ordering": None, "search": ""})
    assert not summary_answers({"status": ["open"], "search": "vpn"})
    assert not summary_answers({"a_filter_from_elsewhere": "x"})
