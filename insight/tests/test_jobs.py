"""Insight's worker jobs: the hourly scan alerts the anomaly channels once per day; training runs daily."""

import datetime

import pytest
from django.utils import timezone

from insight import jobs
from insight.models import ResolutionModel
from insight.profile import local_day
from insight.tests.factories import daily_history, local_midnight, steady_days
from notifications import periodic
from notifications.messages import message_for
from notifications.models import Delivery
from notifications.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.date:
    return local_day(timezone.now()) - datetime.timedelta(days=n)


def early_today() -> datetime.datetime:
    """The history's tickets came at noon: early today, none is expected yet, so today is ordinary."""
    return local_midnight(days_ago(0)) + datetime.timedelta(minutes=5)


def test_the_registry_holds_the_hourly_scan_and_the_daily_training_in_a_child_process():
    scan, train = periodic.JOBS["insight.scan"], periodic.JOBS["insight.train"]
    assert (scan.func, scan.seconds, scan.child_process) == (jobs.scan, 3600, False)
    assert (train.func, train.seconds, train.child_process) == (jobs.train, 86_400, True)


def test_a_scan_alerts_each_anomaly_channel_once_per_anomalous_day():
    alerted = [ChannelFactory(name="ops-chat", anomaly_alerts=True), ChannelFactory(name="ops-mail",
               kind="email", target="ops@example.com", secret="", anomaly_alerts=True)]  # fmt: skip
    ChannelFactory(name="quiet", anomaly_alerts=False)
    ChannelFactory(name="paused", anomaly_alerts=True, active=False)
    history = steady_days(days_ago(1), 35, per_day=20)
    history[days_ago(2)] = 90
    daily_history(history)
    assert Delivery.objects.count() == 0
    outcome = jobs.scan(now=early_today())
    assert outcome == f"new anomalous days: {days_ago(2).isoformat()}; alerted 2 channels each"
    deliveries = Delivery.objects.order_by("channel_name")
    assert [(d.channel_name, d.event) for d in deliveries] == [
        ("ops-chat", "anomaly"),
        ("ops-mail", "anomaly"),
    ]
    for delivery in deliveries:
        row = delivery.payload["anomaly"]
        assert (row["date"], row["count"], row["anomalous"]) == (days_ago(2).isoformat(), 90, True)
        assert delivery.payload["ticket"] is None and delivery.payload["rule"] is None
        assert delivery.task_id is not None  # queued for the worker
    subject = message_for(deliveries[0].payload).subject
    assert subject == f"[Triage] Unusual ticket volume on {days_ago(2).isoformat()}"
    assert {channel.pk for channel in alerted} == set(deliveries.values_list("channel_id", flat=True))
    assert jobs.scan(now=early_today()) == "new anomalous days: none; alerted 2 channels each"
    assert Delivery.objects.count() == 2


def test_an_ordinary_history_alerts_nobody():
    ChannelFactory(anomaly_alerts=True)
    daily_history(steady_days(days_ago(1), 35, per_day=20))
    jobs.scan(now=early_today())
    assert Delivery.objects.count() == 0


def test_the_training_job_with_too_little_history_stores_nothing_and_says_so():
    assert jobs.train().startswith("0 examples, nothing stored")
    assert ResolutionModel.objects.count() == 0
