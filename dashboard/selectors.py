"""The dashboard's numbers for a filter: from the summary table, or from tickets when it cannot answer.

Every count comes from grouped queries over `TicketCount` (a few thousand
rows at most, whatever the number of tickets) when the summary can apply
every filter given (`SUMMARY_CONDITIONS`); otherwise (a `search`, say) the
same groupings run over the filtered tickets instead. The latest-10 feed
always reads tickets (newest first, an index scan).
"""

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.http import QueryDict
from django.utils import timezone

from dashboard.models import TicketCount
from insight.volume import anomaly_rows
from notifications.selectors import delivery_counts_last_day
from qa.selectors import latest_run_summary
from tickets.api.serializers import TicketSerializer
from tickets.filters import TicketFilter, start_of_day
from tickets.models import Ticket

STATUSES = tuple(Ticket.Status.values)
PRIORITIES = tuple(Ticket.Priority.values)
UNRESOLVED = (Ticket.Status.OPEN, Ticket.Status.IN_PROGRESS)
DEFAULT_DAYS = 14
# The per-day chart draws one point a day; beyond a year it is unreadable and the answer grows without bound.
MAX_DAYS = 366
FEED_SIZE = 10
# Filter dates outside these would overflow date arithmetic (a day before, a day after, time zones).
EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(9999, 12, 1)
# Raise when the JSON's shape changes, so browsers drop answers cached under the old shape.
PAYLOAD_VERSION = 3

# How the summary table answers each TicketFilter parameter: a condition on its rows, or None
# for a parameter that does not change which tickets are counted. The summary answers a query
# only when every parameter given a value is listed here; any other (those below, or a filter
# another app adds) makes the dashboard and the API's count read the tickets themselves.
SUMMARY_CONDITIONS: dict[str, Callable[[Any], Q] | None] = {
    "status": lambda values: Q(status__in=values),
    "priority": lambda values: Q(priority__in=values),
    "assigned_to": lambda name: Q(assigned_to=name),
    "unassigned": lambda flag: Q(assigned_to="") if flag == "true" else ~Q(assigned_to=""),
    "created_after": lambda day: Q(day__gte=day),
    "created_before": lambda day: Q(day__lte=day),
    "ordering": None,
}
# Parameters the summary cannot answer (it holds no text): counted from the tickets.
COUNTED_FROM_TICKETS = ("search",)


@dataclass(frozen=True)
class DayRange:
    """The days of the per-day chart, first and last included."""

    first: datetime.date
    last: datetime.date

    def __len__(self) -> int:
        return (self.last - self.first).days + 1

    def days(self) -> list[datetime.date]:
        return [self.first + datetime.timedelta(days=n) for n in range(len(self))]


def local_today() -> datetime.date:
    """Today in the project's TIME_ZONE: the day the charts end on."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def chart_range(cleaned: dict, today: datetime.date) -> DayRange:
    """The filter's date range; without one the last 14 days, with half of one the 14 days it implies."""
    after, before = cleaned.get("created_after"), cleaned.get("created_before")
    if after and before:
        return DayRange(after, before)
    if after:
        return DayRange(after, max(after, today))
    last = before or today
    return DayRange(last - datetime.timedelta(days=DEFAULT_DAYS - 1), last)


def dashboard_filter(query: QueryDict, *, today: datetime.date) -> TicketFilter:
    """The shared TicketFilter on `query`, plus the dashboard's limits on its dates."""
    filterset = TicketFilter(query, queryset=Ticket.objects.all())
    if not filterset.is_valid():
        return filterset
    form = filterset.form
    for name in ("created_after", "created_before"):
        value = form.cleaned_data.get(name)
        if value and not EARLIEST_DAY <= value <= LATEST_DAY:
            form.add_error(name, f"Enter a date between {EARLIEST_DAY} and {LATEST_DAY}.")
    if form.is_valid() and len(chart_range(form.cleaned_data, today)) > MAX_DAYS:
        form.add_error(
            "created_after", f"The dashboard draws at most {MAX_DAYS} days; choose a shorter date range."
        )
    return filterset


def filter_errors(filterset: TicketFilter) -> dict[str, list[str]]:
    """The filter's errors keyed by query-string parameter (DRF's shape)."""
    return {
        ("non_field_errors" if name == "__all__" else name): [str(message) for message in messages]
        for name, messages in filterset.errors.items()
    }


@dataclass(frozen=True)
class Groupings:
    """The ticket counts every panel is drawn from."""

    by_status_priority: dict[tuple[str, str], int]
    by_assignee: dict[str, int]
    by_day: dict[datetime.date, int]
    unresolved_by_day: dict[datetime.date, int]


class CountSource:
    """Rows with `day`, `status`, `priority`, `assigned_to` and a weight `n`, grouped for the panels."""

    def __init__(self, rows: QuerySet, weight, name: str):
        self.rows = rows
        self.weight = weight
        self.name = name

    def grouped(self) -> Groupings:
        """The four groupings in one statement: four GROUP BYs over the same rows, joined by UNION ALL.

        One round trip instead of four: over the small summary table the ORM's
        cost per query, not the database, is what a request waits for. The rows
        are a common table expression, so the fallback reads the tickets once
        (both databases materialise a CTE that is used more than once).
        """
        dimensions = self.rows.order_by().values("day", "status", "priority", "assigned_to", n=self.weight)
        base, params = dimensions.query.sql_with_params()
        unresolved = ", ".join(["%s"] * len(UNRESOLVED))
        # PostgreSQL types a bare NULL as text, which a date cannot join in a UNION.
        no_day = "CAST(NULL AS DATE)"
        sql = f"WITH b AS ({base}) " + " UNION ALL ".join(
            [
                f"SELECT 0, {no_day}, status, priority, NULL, SUM(n) FROM b GROUP BY status, priority",
                f"SELECT 1, {no_day}, NULL, NULL, assigned_to, SUM(n) FROM b GROUP BY assigned_to",
                "SELECT 2, day, NULL, NULL, NULL, SUM(n) FROM b GROUP BY day",
                f"SELECT 3, day, NULL, NULL, NULL, SUM(n) FROM b WHERE status IN ({unresolved}) GROUP BY day",
            ]
        )
        groups: tuple[dict, dict, dict, dict] = ({}, {}, {}, {})
        with connections[self.rows.db].cursor() as cursor:
            cursor.execute(sql, [*params, *UNRESOLVED])
            for group, day, status, priority, assigned_to, n in cursor.fetchall():
                if group == 0:
                    groups[0][status, priority] = int(n)
                elif group == 1:
                    groups[1][assigned_to] = int(n)
                else:
                    groups[group][as_date(day)] = int(n)
        return Groupings(*groups)


def as_date(value) -> datetime.date:
    """A day as the driver returns it: a date (PostgreSQL) or ISO text (SQLite)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def given(cleaned: dict) -> dict:
    """The filter parameters that were given a value (an empty one means no filter)."""
    return {name: value for name, value in cleaned.items() if value not in (None, "", [], ())}


def summary_answers(cleaned: dict) -> bool:
    """True when every parameter given a value is one the summary table can apply."""
    return all(name in SUMMARY_CONDITIONS for name in given(cleaned))


def summary_source(cleaned: dict) -> CountSource:
    """Counts read from the summary table (only for filters that `summary_answers`)."""
    condition = Q()
    for name, value in given(cleaned).items():
        to_condition = SUMMARY_CONDITIONS[name]
        if to_condition is not None:
            condition &= to_condition(value)
    return CountSource(TicketCount.objects.filter(condition), F("count"), "summary")


def live_source(filterset: TicketFilter) -> CountSource:
    """Counts computed from the filtered tickets themselves (for filters the summary cannot apply)."""
    rows = filterset.qs.annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()))
    return CountSource(rows, Value(1), "tickets")


def count_source(filterset: TicketFilter) -> CountSource:
    """The summary when it can answer the filter, the tickets otherwise."""
    cleaned = filterset.form.cleaned_data
    if summary_answers(cleaned):
        return summary_source(cleaned)
    return live_source(filterset)


def median_age_days(per_day: dict[datetime.date, int], today: datetime.date) -> float | None:
    """The median age in whole days of tickets counted per creation day (None when there are none)."""
    total = sum(per_day.values())
    if not total:
        return None
    wanted = sorted({(total - 1) // 2, total // 2})
    found, seen = [], 0
    for day, count in sorted(per_day.items(), reverse=True):
        seen += count
        while wanted and wanted[0] < seen:
            found.append(max((today - day).days, 0))
            wanted.pop(0)
    return sum(found) / len(found) if len(found) == 2 else float(found[0])


@dataclass
class DashboardNumbers:
    """Everything the dashboard shows for one filter."""

    by_status: dict[str, int]
    by_priority: dict[str, int]
    by_assignee: dict[str, int]
    created_per_day: list[dict]
    anomalies: list[dict]
    latest: list[Ticket]
    regression: dict | None
    headline: dict
    span: DayRange
    source: str
    notifications: dict

    def as_json(self) -> dict:
        """The `/dashboard/data` answer: the panels' numbers, plus `headline`, `range` and `source`."""
        return {
            "by_status": self.by_status,
            "by_priority": self.by_priority,
            "by_assignee": self.by_assignee,
            "created_per_day": self.created_per_day,
            "anomalies": self.anomalies,
            "latest": TicketSerializer(self.latest, many=True).data,
            "regression": self.regression,
            "headline": self.headline,
            "range": {"first": self.span.first.isoformat(), "last": self.span.last.isoformat()},
            "source": self.source,
            "notifications": self.notifications,
        }


def dashboard_numbers(filterset: TicketFilter, *, today: datetime.date) -> DashboardNumbers:
    """The numbers of every panel for a valid filter: at most five queries, whatever the ticket count."""
    source = count_source(filterset)
    span = chart_range(filterset.form.cleaned_data, today)
    counts = source.grouped()
    pairs = counts.by_status_priority
    by_status = {s: sum(n for (status, _), n in pairs.items() if status == s) for s in STATUSES}
    by_priority = {p: sum(n for (_, priority), n in pairs.items() if priority == p) for p in PRIORITIES}
    loads = sorted(((a, n) for a, n in counts.by_assignee.items() if n), key=lambda item: (-item[1], item[0]))
    return DashboardNumbers(
        by_status=by_status,
        by_priority=by_priority,
        by_assignee=dict(loads),
        created_per_day=[{"date": d.isoformat(), "count": counts.by_day.get(d, 0)} for d in span.days()],
        anomalies=expected_band(filterset.form.cleaned_data, span),
        latest=latest_tickets(filterset, counts.by_day),
        regression=latest_run_summary(),
        headline={
            "total": sum(by_status.values()),
            "open": by_status[Ticket.Status.OPEN],
            "in_progress": by_status[Ticket.Status.IN_PROGRESS],
            "closed": by_status[Ticket.Status.CLOSED],
            "high_priority_unresolved": sum(pairs.get((s, Ticket.Priority.HIGH), 0) for s in UNRESOLVED),
            "median_unresolved_age_days": median_age_days(counts.unresolved_by_day, today),
        },
        span=span,
        source=source.name,
        notifications=delivery_counts_last_day(),
    )


BAND_KEYS = ("expected", "low", "high", "anomalous")


def expected_band(cleaned: dict, span: DayRange) -> list[dict]:
    """The expected count and its band per day of the chart, and whether the day is anomalous.

    Counted from the summary under the status, priority and assignee filters
    (the date filters choose the days; the history reaches before them).
    A filter the summary cannot apply (a search) leaves every value null.
    """
    rows = anomaly_rows(span.first, span.last, now=timezone.now(), filters=given(cleaned))
    if rows is None:
        return [{"date": d.isoformat(), **dict.fromkeys(BAND_KEYS)} for d in span.days()]
    return [{"date": row["date"], **{key: row[key] for key in BAND_KEYS}} for row in rows]


def latest_tickets(filterset: TicketFilter, per_day: dict[datetime.date, int]) -> list[Ticket]:
    """The 10 newest tickets of the filtered set, read from the recent days that hold them.

    The counts per creation day say on which day the 10th newest ticket was
    created. Bounding `created_at` there makes the query a short range scan of
    a `(column, created_at)` index on both databases; without a bound, SQLite
    (which keeps no statistics unless ANALYZE ran) may pick the status index
    and sort every matching row: seconds at a million tickets. Should the
    bound find fewer tickets than counted (a summary out of step), the query
    runs again without it.
    """
    newest = filterset.qs.order_by("-created_at", "-id")
    wanted = min(FEED_SIZE, sum(per_day.values()))
    seen, since = 0, None
    for day in sorted(per_day, reverse=True):
        seen, since = seen + per_day[day], day
        if seen >= FEED_SIZE:
            break
    if since is None:
        return list(newest[:FEED_SIZE]) if wanted else []
    found = list(newest.filter(created_at__gte=start_of_day(since))[:FEED_SIZE])
    return found if len(found) >= wanted else list(newest[:FEED_SIZE])


def answer_etag(payload: dict) -> str:
    """The ETag of a dashboard answer: a hash of the answer itself, so it moves exactly when it does."""
    text = json.dumps([PAYLOAD_VERSION, payload], sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
