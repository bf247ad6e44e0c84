"""Tickets created per day, judged against their weekday's history: the rows of the anomaly answer.

Insight does not count tickets itself. The app that keeps a summary of
tickets per creation day (the dashboard) registers a `DailyCounter` here,
so this app depends on no other but `tickets`:

    @register_daily_counter
    def created_per_day(first, last, filters): ...

The counter answers from its summary or not at all (None), never by reading
every ticket: a filter it cannot apply (a text search) leaves the band empty.
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from insight import anomalies, profile


@dataclass(frozen=True)
class DailyCounts:
    """Tickets created per day from `first` to `last` (days without tickets may be left out).

    `earlier` says whether any ticket was created before `first`: when not,
    the first day with tickets is the first ticket's, and days before it are
    never judged.
    """

    per_day: Mapping[datetime.date, int]
    earlier: bool


# (first day, last day, the dashboard's cleaned filter values) -> counts, or None when the filter
# cannot be counted without reading the tickets.
DailyCounter = Callable[[datetime.date, datetime.date, Mapping], DailyCounts | None]
_counter: dict[str, DailyCounter] = {}

# The history read before the first day shown: the weeks a day's expected count and noise use.
HISTORY_DAYS = 7 * anomalies.HISTORY_WEEKS


def register_daily_counter(counter: DailyCounter) -> DailyCounter:
    """Decorator: count tickets per creation day with `counter` (one per project)."""
    _counter["counter"] = counter
    return counter


def daily_counter() -> DailyCounter:
    """The registered counter; an app that keeps daily counts must be installed."""
    try:
        return _counter["counter"]
    except KeyError:
        raise ImproperlyConfigured(
            "No daily ticket counter is registered: install the dashboard app (it keeps the summary)."
        ) from None


def empty_row(day: datetime.date, count: int) -> dict:
    """A day that is not judged: no history, before the first ticket, in the future, or not countable."""
    return {
        "date": day.isoformat(),
        "count": count,
        "expected": None,
        "low": None,
        "high": None,
        "score": None,
        "anomalous": False,
    }


def anomaly_rows(
    first: datetime.date,
    last: datetime.date,
    *,
    now: datetime.datetime,
    filters: Mapping | None = None,
    using: str = "default",
) -> list[dict] | None:
    """One row per day from `first` to `last`: date, count, expected, low, high, score, anomalous.

    `now` fixes today (in TIME_ZONE) and how much of it has passed: today's
    expected count is pro-rated by the typical hourly profile, days after
    today are not judged. `filters` are TicketFilter values (status,
    priority, assignee); None when the counter cannot apply them.
    """
    today = profile.local_day(now)
    start = first - datetime.timedelta(days=HISTORY_DAYS)
    counts = daily_counter()(start, last, filters or {})
    if counts is None:
        return None
    span = (last - start).days + 1
    series = [counts.per_day.get(start + datetime.timedelta(days=n), 0) for n in range(span)]
    with_tickets = [index for index, count in enumerate(series) if count]
    first_index = 0 if counts.earlier else (with_tickets[0] if with_tickets else span)
    share = profile.share_of_day(now, using=using) if first <= today <= last else 1.0
    rows = []
    for index in range((first - start).days, span):
        day = start + datetime.timedelta(days=index)
        judgement = None
        if day <= today:
            day_share = share if day == today else 1.0
            judgement = anomalies.judge(series, index, first_index, share=day_share)
        row = empty_row(day, series[index])
        if judgement is not None:
            row.update(judgement.as_row())
        rows.append(row)
    return rows
