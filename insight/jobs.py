"""Insight's periodic worker jobs: the hourly anomaly scan and the daily training (in a child process).

Registered from InsightConfig.ready(). The scan alerts every active channel
marked `anomaly_alerts`, once per anomalous day: the alerts are queued in
the transaction that records the day (see `insight.scan`).
"""

import datetime

from insight.scan import scan_for_anomalies
from notifications.models import Channel
from notifications.periodic import register_periodic
from notifications.services import queue_notification

SCAN_SECONDS = 3600
TRAIN_SECONDS = 86_400


def scan(*, now: datetime.datetime | None = None) -> str:
    """Record the new anomalous days and queue one alert per day and anomaly channel."""
    channels = list(Channel.objects.filter(anomaly_alerts=True, active=True).order_by("name"))

    def notify(row: dict) -> None:
        for channel in channels:
            queue_notification(event="anomaly", channel=channel, data={"anomaly": row})

    found = scan_for_anomalies(notify=notify, now=now)
    days = ", ".join(row["date"] for row in found) or "none"
    return f"new anomalous days: {days}; alerted {len(channels)} channels each"


def train() -> str:
    """Train and store the resolution-time predictor (runs in the worker's child process)."""
    from insight.training import train_and_store

    report = train_and_store()
    stored = f"stored {report.stored} model #{report.model_id}" if report.stored else "nothing stored"
    return f"{report.examples} examples, {stored}, {report.seconds:.1f} s"


def register() -> None:
    register_periodic("insight.scan", scan, every=SCAN_SECONDS)
    register_periodic("insight.train", train, every=TRAIN_SECONDS, child_process=True)
