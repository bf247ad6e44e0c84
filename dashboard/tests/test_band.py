"""The anomaly band in `/dashboard/data`: one point per day of the chart, under the dashboard's filters."""

import datetime

import pytest

from dashboard import selectors
from insight.tests.factories import daily_history, steady_days

pytestmark = pytest.mark.django_db
DATA = "/dashboard/data"


def days_ago(n: int) -> datetime.date:
    return selectors.local_today() - datetime.timedelta(days=n)


@pytest.fixture
def weeks_of_tickets():
    daily_history(steady_days(days_ago(1), 40, per_day=6), priority="low")
    history = steady_days(days_ago(1), 40, per_day=2)
    history[days_ago(3)] = 30
    daily_history(history, priority="medium", assigned_to="Dana")


def test_every_day_of_the_chart_has_a_point_of_the_band(support_client, weeks_of_tickets):
    body = support_client.get(DATA).json()
    assert [point["date"] for point in body["anomalies"]] == [day["date"] for day in body["created_per_day"]]
    assert all(set(point) == {"date", "expected", "low", "high", "anomalous"} for point in body["anomalies"])
    yesterday = body["anomalies"][-2]
    assert yesterday["expected"] == 8 and yesterday["low"] < 8 < yesterday["high"]


def test_the_band_follows_the_priority_and_assignee_filters(support_client, weeks_of_tickets):
    everything = {p["date"]: p for p in support_client.get(DATA).json()["anomalies"]}
    medium = {p["date"]: p for p in support_client.get(DATA, {"priority": "medium"}).json()["anomalies"]}
    dana = {p["date"]: p for p in support_client.get(DATA, {"assigned_to": "Dana"}).json()["anomalies"]}
    spike = days_ago(3).isoformat()
    assert medium[spike]["anomalous"] and dana[spike]["anomalous"]
    assert medium[days_ago(1).isoformat()]["expected"] == 2
    assert everything[days_ago(1).isoformat()]["expected"] == 8


def test_the_band_follows_the_date_filters_with_history_from_before_them(support_client, weeks_of_tickets):
    query = {"created_after": days_ago(5).isoformat(), "created_before": days_ago(2).isoformat()}
    points = support_client.get(DATA, query).json()["anomalies"]
    assert [p["date"] for p in points] == [days_ago(n).isoformat() for n in (5, 4, 3, 2)]
    assert all(p["expected"] is not None for p in points)


def test_with_a_search_the_band_is_null(support_client, weeks_of_tickets):
    points = support_client.get(DATA, {"search": "Ticket"}).json()["anomalies"]
    assert points and all(p["expected"] is p["low"] is p["high"] is p["anomalous"] is None for p in points)
