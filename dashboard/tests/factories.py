"""Helpers for the dashboard's tests: tickets at a given moment, and the summary as a plain dict."""

import datetime
import zoneinfo

from django.db import connections

from dashboard import stats
from dashboard.models import TicketCount
from tickets.tests.factories import TicketFactory


def at(day: str, hour: int = 12, minute: int = 0, zone: str = "UTC") -> datetime.datetime:
    """An aware datetime: `at("2026-03-01", 23, 30)` is 23:30 UTC on 1 March 2026."""
    return datetime.datetime.fromisoformat(f"{day}T{hour:02}:{minute:02}").replace(
        tzinfo=zoneinfo.ZoneInfo(zone)
    )


def ticket_at(moment: datetime.datetime, **fields):
    """A ticket saved through the model (rules and receivers run) created at `moment`."""
    return TicketFactory(created_at=moment, **fields)


def summary() -> dict[tuple, int]:
    """The summary table as {(day, status, priority, assigned_to): count}, rows summed per bucket,
    empty buckets left out."""
    totals: dict[tuple, int] = {}
    for row in TicketCount.objects.all():
        key = (row.day, row.status, row.priority, row.assigned_to)
        totals[key] = totals.get(key, 0) + row.count
    return {key: count for key, count in totals.items() if count}


def recounted() -> dict[tuple, int]:
    """What the summary should hold, counted from the tickets."""
    return {
        (row["day"], row["status"], row["priority"], row["assigned_to"]): row["n"] for row in stats.recount()
    }


def disagreements(*, using: str = "default") -> list[dict]:
    """Buckets whose stored count differs from a recount, as `{bucket fields, stored, actual}`.

    One query: the summary and the recount side by side, summed per bucket.
    """
    connection = connections[using]
    table = connection.ops.quote_name(TicketCount._meta.db_table)
    recount_sql, params = stats.recount(using=using).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT day, status, priority, assigned_to, SUM(stored), SUM(actual) FROM ("
            f" SELECT day, status, priority, assigned_to, count AS stored, 0 AS actual FROM {table}"
            " UNION ALL"
            " SELECT day, status, priority, assigned_to, 0 AS stored, n AS actual"
            f" FROM ({recount_sql}) AS recount"
            ") AS compared GROUP BY day, status, priority, assigned_to HAVING SUM(stored) <> SUM(actual)"
            " ORDER BY day, status, priority, assigned_to",
            params,
        )
        columns = ("day", "status", "priority", "assigned_to", "stored", "actual")
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
