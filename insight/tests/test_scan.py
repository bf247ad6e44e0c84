"""The anomaly scan: each anomalous day is recorded and notified once, in one transaction."""

import datetime

import pytest
from django.utils import timezone

from insight.models import AnomalyAlert
from insight.profile import local_day
from insight.scan import scan_for_anomalies
from insight.tests.factories import daily_history, local_midnight, steady_days

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.date:
    return local_day(timezone.now()) - datetime.timedelta(days=n)


def scan(**kwargs):
    """Scan early today: the history's tickets all came at noon, so none is expected yet today."""
    return scan_for_anomalies(now=local_midnight(days_ago(0)) + datetime.timedelta(minutes=5), **kwargs)


@pytest.fixture
def spike_two_days_ago():
    history = steady_days(days_ago(1), 35, per_day=20)
    history[days_ago(2)] = 90
    daily_history(history)


def test_an_anomalous_day_is_recorded_and_notified_once(spike_two_days_ago):
    notified = []
    found = scan(notify=notified.append)
    assert [row["date"] for row in found] == [days_ago(2).isoformat()]
    assert notified == found and found[0]["count"] == 90 and found[0]["anomalous"]
    assert list(AnomalyAlert.objects.values_list("day", flat=True)) == [days_ago(2)]
    assert scan(notify=notified.append) == []
    assert len(notified) == 1 and AnomalyAlert.objects.count() == 1


def test_a_day_whose_notification_fails_is_not_recorded_and_alerts_at_the_next_scan(spike_two_days_ago):
    def broken(row):
        raise RuntimeError("the queue is down")

    with pytest.raises(RuntimeError):
        scan(notify=broken)
    assert AnomalyAlert.objects.count() == 0
    notified = []
    assert len(scan(notify=notified.append)) == 1 == len(notified)


def test_today_is_judged_against_the_count_expected_by_this_hour():
    daily_history(steady_days(days_ago(1), 35, per_day=20))
    # By the evening, a day with no ticket at all is a drop.
    (today,) = scan_for_anomalies(now=local_midnight(days_ago(0)) + datetime.timedelta(hours=20))
    assert today["date"] == days_ago(0).isoformat() and today["count"] == 0 and today["score"] < 0


def test_ordinary_days_record_nothing():
    daily_history(steady_days(days_ago(1), 35, per_day=20))
    assert scan(notify=pytest.fail) == []
    assert AnomalyAlert.objects.count() == 0


def test_days_older_than_the_scan_window_are_left_alone():
    history = steady_days(days_ago(1), 50, per_day=20)
    history[days_ago(10)] = 90
    daily_history(history)
    assert scan() == []
