"""Each panel's numbers against a hand-counted set of tickets, from the summary and from the fallback."""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from dashboard import selectors
from dashboard.models import TicketCount
from dashboard.tests.factories import at, ticket_at
from qa.models import CheckResult, RegressionRun
from tickets.api.serializers import TicketSerializer

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 14)


@pytest.fixture
def tickets():
    """Six tickets; the comments give the stored values after the rules ran.

    by status: open 3, in_progress 2, closed 1; by priority: low 1, medium 4, high 1;
    by assignee: "" 2, Dana 2, Senior Analyst 1, SupportBot 1.
    """
    return {
        "t1": ticket_at(at("2026-03-01", 10), title="Printer jam"),  # 1 Mar, open, medium, ""
        "t2": ticket_at(at("2026-03-01", 23, 30), priority="low"),  # 1 Mar 23:30 UTC, open, low, SupportBot
        "t3": ticket_at(at("2026-03-03", 9), priority="high"),  # in_progress, high, Senior Analyst
        "t4": ticket_at(at("2026-03-03", 10), assigned_to="Dana", status="closed"),  # closed, medium, Dana
        "t5": ticket_at(at("2026-03-10", 8), assigned_to="Dana", status="in_progress"),  # medium
        "t6": ticket_at(at("2026-03-14", 8), title="VPN outage"),  # open, medium, ""
    }


def numbers(query: str = "", today: datetime.date = TODAY) -> selectors.DashboardNumbers:
    filterset = selectors.dashboard_filter(QueryDict(query), today=today)
    assert filterset.is_valid(), filterset.errors
    return selectors.dashboard_numbers(filterset, today=today)


def per_day(result) -> dict[str, int]:
    return {point["date"]: point["count"] for point in result.created_per_day if point["count"]}


def test_status_priority_and_assignee_counts(tickets):
    result = numbers()
    assert result.by_status == {"open": 3, "in_progress": 2, "closed": 1}
    assert result.by_priority == {"low": 1, "medium": 4, "high": 1}
    assert list(result.by_assignee.items()) == [
        ("", 2),
        ("Dana", 2),
        ("Senior Analyst", 1),
        ("SupportBot", 1),
    ]
    assert result.source == "summary"


def test_created_per_day_covers_the_last_14_days_with_zero_days(tickets):
    result = numbers()
    assert [point["date"] for point in result.created_per_day] == [
        f"2026-03-{day:02}" for day in range(1, 15)
    ]
    assert per_day(result) == {"2026-03-01": 2, "2026-03-03": 2, "2026-03-10": 1, "2026-03-14": 1}
    assert sum(point["count"] for point in result.created_per_day) == 6


def test_headline_numbers(tickets):
    headline = numbers().headline
    assert headline == {
        "total": 6,
        "open": 3,
        "in_progress": 2,
        "closed": 1,
        "high_priority_unresolved": 1,
        # Unresolved ages in days: 13, 13, 11, 4, 0.
        "median_unresolved_age_days": 11.0,
    }


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(tickets):
    tickets["t6"].delete()  # ages 13, 13, 11, 4
    assert numbers().headline["median_unresolved_age_days"] == 12.0


def test_latest_feed_is_newest_first_and_shaped_like_the_api(tickets):
    result = numbers()
    assert [t.pk for t in result.latest] == [tickets[f"t{n}"].pk for n in (6, 5, 4, 3, 2, 1)]
    first = result.as_json()["latest"][0]
    assert first == TicketSerializer(result.latest[0]).data
    assert first["created_at"] == "2026-03-14T08:00:00Z"


def test_latest_feed_holds_ten_tickets_at_most(tickets):
    for n in range(12):
        ticket_at(at("2026-03-12", n))
    assert len(numbers().latest) == 10


def test_the_feed_reads_only_the_days_it_needs_and_is_right_even_if_the_summary_is_not(tickets):
    newer = [ticket_at(at("2026-03-13", hour)) for hour in range(9)]
    expected = [tickets["t6"].pk] + [t.pk for t in reversed(newer)]
    assert [t.pk for t in numbers().latest] == expected
    TicketCount.objects.filter(day=datetime.date(2026, 3, 13)).update(count=20)  # out of step: too many
    assert [t.pk for t in numbers().latest] == expected
    TicketCount.objects.filter(day__gte=datetime.date(2026, 3, 13)).delete()  # out of step: too few
    assert [t.pk for t in numbers().latest] == expected


def test_filters_combined(tickets):
    result = numbers("status=open&priority=medium")
    assert result.by_status == {"open": 2, "in_progress": 0, "closed": 0}
    assert result.by_priority == {"low": 0, "medium": 2, "high": 0}
    assert result.by_assignee == {"": 2}
    assert per_day(result) == {"2026-03-01": 1, "2026-03-14": 1}
    assert [t.pk for t in result.latest] == [tickets["t6"].pk, tickets["t1"].pk]


def test_repeated_values_mean_either(tickets):
    result = numbers("status=open&status=closed&priority=low&priority=medium")
    assert result.headline["total"] == 4  # t1, t2, t4, t6


def test_assignee_filters(tickets):
    assert numbers("unassigned=true").by_assignee == {"": 2}
    assert numbers("unassigned=false").headline["total"] == 4
    assert numbers("assigned_to=Dana").by_status == {"open": 0, "in_progress": 1, "closed": 1}


def test_a_date_range_sets_the_chart_days_and_the_counts(tickets):
    result = numbers("created_after=2026-03-03&created_before=2026-03-10")
    assert [p["date"] for p in result.created_per_day][0] == "2026-03-03"
    assert [p["date"] for p in result.created_per_day][-1] == "2026-03-10"
    assert len(result.created_per_day) == 8
    assert result.headline["total"] == 3  # t3, t4, t5
    assert per_day(result) == {"2026-03-03": 2, "2026-03-10": 1}


def test_range_edges_are_inclusive_days(tickets):
    assert numbers("created_before=2026-03-01").headline["total"] == 2  # 23:30 on the last day counts
    assert numbers("created_after=2026-03-14").headline["total"] == 1
    assert numbers("created_after=2026-03-02&created_before=2026-03-02").headline["total"] == 0


def test_half_a_range_implies_the_other_half():
    assert selectors.chart_range({"created_after": datetime.date(2026, 3, 10)}, TODAY) == selectors.DayRange(
        datetime.date(2026, 3, 10), TODAY
    )
    assert selectors.chart_range({"created_before": datetime.date(2026, 2, 14)}, TODAY) == selectors.DayRange(
        datetime.date(2026, 2, 1), datetime.date(2026, 2, 14)
    )
    future = datetime.date(2026, 4, 1)
    assert selectors.chart_range({"created_after": future}, TODAY) == selectors.DayRange(future, future)


def test_days_follow_the_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    timezone.deactivate()
    late = ticket_at(at("2026-03-01", 23, 30), title="Late one")  # 00:30 on 2 March in Paris
    assert per_day(numbers()) == {"2026-03-02": 1}
    assert per_day(numbers("search=late")) == {"2026-03-02": 1}  # the fallback counts days the same way
    assert numbers("search=late&created_after=2026-03-02&created_before=2026-03-02").headline["total"] == 1
    assert numbers("created_after=2026-03-02").headline["total"] == 1
    assert numbers("created_before=2026-03-01").headline["total"] == 0
    assert numbers("created_after=2026-03-02").latest == [late]


def test_search_falls_back_to_counting_tickets(tickets):
    result = numbers("search=vpn")
    assert result.source == "tickets"
    assert result.by_status == {"open": 1, "in_progress": 0, "closed": 0}
    assert per_day(result) == {"2026-03-14": 1}
    assert result.headline["median_unresolved_age_days"] == 0.0


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=open&priority=medium",
        "unassigned=true",
        "assigned_to=Dana&status=closed",
        "created_after=2026-03-02&created_before=2026-03-12",
        "priority=high&unassigned=false",
    ],
)
def test_the_fallback_and_the_summary_agree(tickets, query):
    filterset = selectors.dashboard_filter(QueryDict(query), today=TODAY)
    assert filterset.is_valid()
    summary = selectors.summary_source(filterset.form.cleaned_data).grouped()
    live = selectors.live_source(filterset).grouped()
    for name in ("by_status_priority", "by_assignee", "by_day", "unresolved_by_day"):
        assert {k: n for k, n in getattr(summary, name).items() if n} == getattr(live, name), name


def test_no_tickets_gives_zeros_not_gaps():
    result = numbers()
    assert result.by_status == {"open": 0, "in_progress": 0, "closed": 0}
    assert result.by_priority == {"low": 0, "medium": 0, "high": 0}
    assert result.by_assignee == {}
    assert len(result.created_per_day) == 14
    assert result.headline["median_unresolved_age_days"] is None
    assert result.regression is None


def test_the_latest_regression_run_is_included():
    run = RegressionRun.objects.create(
        started_at=at("2026-03-14", 7), finished_at=at("2026-03-14", 7, 1), passed=False, outcome="failed"
    )
    CheckResult.objects.create(run=run, name="priority_escalation", passed=False, violations=3)
    CheckResult.objects.filter(run=run).update(outcome="failed")
    assert numbers().regression == {
        "ran_at": "2026-03-14T07:01:00+00:00",
        "passed": False,
        "outcome": "failed",
        "checks": [{"name": "priority_escalation", "passed": False, "violations": 3, "outcome": "failed"}],
    }


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=pending", "status"),
        ("created_after=2026-03-10&created_before=2026-03-01", "created_before"),
        ("created_before=0001-01-01", "created_before"),
        ("created_after=9999-12-31", "created_after"),
        ("created_after=2024-01-01", "created_after"),  # more than 366 days to draw
    ],
)
def test_bad_filters_are_errors_keyed_by_parameter(query, field):
    filterset = selectors.dashboard_filter(QueryDict(query), today=TODAY)
    assert not filterset.is_valid()
    assert field in selectors.filter_errors(filterset)


def test_a_year_of_days_is_allowed():
    filterset = selectors.dashboard_filter(QueryDict("created_after=2025-03-14"), today=TODAY)
    assert filterset.is_valid()
