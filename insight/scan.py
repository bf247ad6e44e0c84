"""The anomaly scan: which recent days are anomalous and not alerted yet, recorded so each alerts once.

Meant to run hourly. It judges the last `SCAN_DAYS` days (today against
the count expected by this hour), so a scan missed while no worker ran is
caught up. Each anomalous day is claimed by inserting its `AnomalyAlert`
row (the day is unique), and `notify` is called for the days this scan
claimed, in the same transaction: an alert is queued exactly when its day
is recorded, even with several workers scanning at once.
"""

import datetime
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from insight import profile, volume
from insight.models import AnomalyAlert

SCAN_DAYS = 7


def scan_for_anomalies(
    *, notify: Callable[[dict], object] | None = None, now: datetime.datetime | None = None
) -> list[dict]:
    """Record the anomalous days of the last SCAN_DAYS not recorded before; returns their rows.

    `notify(row)` is called for each, inside the transaction that records it.
    """
    now = now or timezone.now()
    today = profile.local_day(now)
    rows = volume.anomaly_rows(today - datetime.timedelta(days=SCAN_DAYS - 1), today, now=now) or []
    anomalous = [row for row in rows if row["anomalous"]]
    if not anomalous:
        return []
    known = set(
        AnomalyAlert.objects.filter(day__in=[row["date"] for row in anomalous]).values_list("day", flat=True)
    )
    found = []
    for row in anomalous:
        day = datetime.date.fromisoformat(row["date"])
        if day in known:
            continue
        try:
            with transaction.atomic():
                AnomalyAlert.objects.create(day=day, row=row, found_at=now)
                if notify is not None:
                    notify(row)
        except IntegrityError:  # another scan recorded it first: it alerts, not this one
            continue
        found.append(row)
    return found
