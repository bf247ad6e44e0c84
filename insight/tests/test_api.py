"""`GET /api/insight/anomalies`: the rows, their days, who may read them, and bad input."""

import datetime

import pytest
from django.utils import timezone

from dashboard.models import TicketCount
from insight.models import AnomalyAlert
from insight.profile import local_day
from insight.tests.factories import daily_history, steady_days

pytestmark = pytest.mark.django_db
URL = "/api/insight/anomalies"
KEYS = {"date", "count", "expected", "low", "high", "score", "anomalous"}


def today() -> datetime.date:
    return local_day(timezone.now())


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


@pytest.fixture
def bob(analyst_user, api_client):
    return api_client(analyst_user)


def test_it_answers_28_days_ending_today_oldest_first(bob):
    rows = bob.get(URL).json()
    assert len(rows) == 28
    assert [row["date"] for row in rows] == [days_ago(n).isoformat() for n in range(27, -1, -1)]
    assert all(set(row) == KEYS for row in rows)


def test_days_choose_how_many_rows(bob):
    assert len(bob.get(URL, {"days": 1}).json()) == 1
    assert len(bob.get(URL, {"days": 365}).json()) == 365
    assert len(bob.get(URL + "/", {"days": 3}).json()) == 3


def test_an_empty_days_means_the_default(bob):
    assert len(bob.get(URL, {"days": ""}).json()) == 28


@pytest.mark.parametrize("days", ["0", "366", "-1", "abc", "2.5", "1e3"])
def test_a_bad_days_gets_a_400_naming_days_and_writes_nothing(bob, days):
    response = bob.get(URL, {"days": days})
    assert response.status_code == 400
    assert list(response.json()) == ["days"]
    assert AnomalyAlert.objects.count() == 0


def test_every_role_may_read_it_and_anonymous_callers_get_401(
    admin_user, analyst_user, support_user, api_client
):
    for user in (admin_user, analyst_user, support_user):
        assert api_client(user).get(URL).status_code == 200
    assert api_client(None).get(URL).status_code == 401


def test_a_spike_after_four_steady_weeks_is_anomalous_and_earlier_days_have_a_band(bob):
    history = steady_days(days_ago(1), 35, per_day=20)
    history[days_ago(1)] = 80
    daily_history(history)
    rows = {row["date"]: row for row in bob.get(URL, {"days": 7}).json()}
    spike = rows[days_ago(1).isoformat()]
    assert spike["count"] == 80 and spike["anomalous"] and spike["score"] > 3.5
    assert spike["expected"] == 20 and spike["low"] < 20 < spike["high"] < 80
    calm = rows[days_ago(2).isoformat()]
    assert calm["count"] == 20 and not calm["anomalous"] and calm["expected"] == 20


def test_days_without_three_weeks_of_history_or_before_the_first_ticket_have_no_expected_count(bob):
    daily_history(steady_days(days_ago(1), 25, per_day=10))
    rows = {row["date"]: row for row in bob.get(URL, {"days": 40}).json()}
    before_first = rows[days_ago(30).isoformat()]
    assert before_first == {**before_first, "count": 0, "expected": None, "score": None, "anomalous": False}
    too_early = rows[days_ago(10).isoformat()]  # 15 days after the first ticket
    assert too_early["count"] == 10 and too_early["expected"] is None
    judged = rows[days_ago(1).isoformat()]  # 24 days after it
    assert judged["expected"] == 10


def test_counts_come_from_the_summary_not_from_the_tickets(bob):
    # Rows in the summary without tickets behind them: the answer follows the summary.
    TicketCount.objects.bulk_create(
        TicketCount(day=days_ago(n), status="open", priority="low", assigned_to="", count=7)
        for n in range(30)
    )
    rows = bob.get(URL, {"days": 2}).json()
    assert [row["count"] for row in rows] == [7, 7]
    assert rows[0]["expected"] == 7


def test_it_costs_a_fixed_number_of_queries(bob, django_assert_max_num_queries):
    daily_history(steady_days(days_ago(1), 30, per_day=3))
    bob.get(URL)  # the hourly profile is counted once and cached for the hour
    with django_assert_max_num_queries(3):  # token+user, role, the per-day counts
        assert bob.get(URL, {"days": 365}).status_code == 200
