"""Keeping the summary table (`TicketCount`) in step with ticket writes, and recounting it.

A ticket sits in one bucket: (created day in TIME_ZONE, status, priority,
assignee). A write moves it from its old bucket (None when created) to its new
one (None when deleted). Moves are summed per bucket in Python, then applied
with one set-based upsert that adds to the stored count, so two transactions
writing the same bucket at once both land (the database serialises them on
the row), on SQLite 3.24+ and PostgreSQL alike.

Days are counted in settings.TIME_ZONE when the ticket is written: after
changing TIME_ZONE, run `python manage.py rebuild_stats`.
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import NamedTuple

from django.db import connections, transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from dashboard.models import DataVersion, TicketCount
from tickets.models import Ticket

# Rows per upsert statement: 5 parameters each, far below SQLite's 32,766 limit.
UPSERT_CHUNK = 500


class Bucket(NamedTuple):
    """Where a ticket is counted."""

    day: datetime.date
    status: str
    priority: str
    assigned_to: str


# (bucket before, bucket after): None before on create, None after on delete.
Move = tuple[Bucket | None, Bucket | None]


def day_of(moment: datetime.datetime) -> datetime.date:
    """The calendar day of `moment` in the project's TIME_ZONE."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def bucket_of(state: Mapping, created_at: datetime.datetime) -> Bucket:
    """The bucket of a ticket with tracked values `state` created at `created_at`."""
    return Bucket(day_of(created_at), state["status"], state["priority"], state["assigned_to"])


def record_moves(moves: Iterable[Move], *, using: str) -> None:
    """Apply ticket moves to the summary and raise the data version (call inside the write's transaction).

    The version is raised first: every writer takes that one row lock before
    any bucket row, so writers of several tickets in one transaction never
    wait for each other in a circle.
    """
    deltas: Counter[Bucket] = Counter()
    for before, after in moves:
        if before == after:
            continue
        if before is not None:
            deltas[before] -= 1
        if after is not None:
            deltas[after] += 1
    bump_data_version(using=using)
    add_to_counts(deltas, using=using)


def stored_bucket(ticket_id: int | None, *, using: str) -> Bucket | None:
    """The bucket of the ticket as stored now, row locked until commit (None if it is gone).

    Read before a delete, because the instance being deleted may hold stale
    values; the lock makes a second, concurrent delete of the same ticket
    find nothing, so it is not subtracted twice.
    """
    if ticket_id is None:
        return None
    row = (
        Ticket.objects.using(using)
        .select_for_update()
        .filter(pk=ticket_id)
        .values("status", "priority", "assigned_to", "created_at")
        .first()
    )
    return None if row is None else bucket_of(row, row["created_at"])


def bulk_update_moves(tickets: Iterable[Ticket], *, using: str) -> list[Move]:
    """The moves of tickets changed by the bulk update path (stored values to new values).

    Creation times are read from the database (one query) rather than
    trusted from objects the caller built.
    """
    tickets = list(tickets)
    created = dict(
        Ticket.objects.using(using).filter(pk__in=[t.pk for t in tickets]).values_list("pk", "created_at")
    )
    return [
        (bucket_of(t.current_write.stored, created[t.pk]), bucket_of(t.state(), created[t.pk]))
        for t in tickets
        if t.pk in created
    ]


def add_to_counts(deltas: Mapping[Bucket, int], *, using: str) -> None:
    """Add each delta to its bucket's count, creating missing buckets, in a few statements."""
    # Sorted, so that concurrent writers lock bucket rows in the same order.
    rows = sorted((bucket, delta) for bucket, delta in deltas.items() if delta)
    if not rows:
        return
    connection = connections[using]
    table = connection.ops.quote_name(TicketCount._meta.db_table)
    adapt_day = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        iterator = iter(rows)
        while chunk := list(islice(iterator, UPSERT_CHUNK)):
            placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params = []
            for bucket, delta in chunk:
                params += [adapt_day(bucket.day), bucket.status, bucket.priority, bucket.assigned_to, delta]
            cursor.execute(
                f"INSERT INTO {table} (day, status, priority, assigned_to, count) VALUES {placeholders} "
                "ON CONFLICT (day, status, priority, assigned_to) "
                f"DO UPDATE SET count = {table}.count + excluded.count",
                params,
            )


def bump_data_version(*, using: str) -> None:
    """Raise the data version by one (creating its row if a flush removed it)."""
    connection = connections[using]
    table = connection.ops.quote_name(DataVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, value) VALUES (1, 1) "
            f"ON CONFLICT (id) DO UPDATE SET value = {table}.value + 1"
        )


def data_version(*, using: str = "default") -> int:
    """The current data version (0 before the first write)."""
    return DataVersion.objects.using(using).filter(pk=1).values_list("value", flat=True).first() or 0


def recount(*, using: str = "default") -> QuerySet:
    """Tickets counted per bucket straight from `tickets`: what the summary must hold.

    Rows have `day`, `status`, `priority`, `assigned_to` and `n`.
    """
    return (
        Ticket.objects.using(using)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()))
        .values("day", "status", "priority", "assigned_to")
        .annotate(n=Count("id"))
        .order_by()
    )


def rebuild(*, using: str = "default") -> int:
    """Replace the summary with a recount of the tickets, in one transaction. Returns the bucket count."""
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(TicketCount._meta.db_table)
    recount_sql, params = recount(using=using).query.sql_with_params()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Ticket writers wait until the new summary is committed, so none is lost in between.
            cursor.execute(f"LOCK TABLE {quote(Ticket._meta.db_table)} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (day, status, priority, assigned_to, count) "
            f"SELECT day, status, priority, assigned_to, n FROM ({recount_sql}) AS recount",
            params,
        )
        bump_data_version(using=using)
    return TicketCount.objects.using(using).count()


def disagreements(*, using: str = "default") -> list[dict]:
    """Buckets whose stored count differs from a recount, as `{bucket fields, stored, actual}`.

    One query: the summary and the recount side by side, summed per bucket.
    """
    connection = connections[using]
    table = connection.ops.quote_name(TicketCount._meta.db_table)
    recount_sql, params = recount(using=using).query.sql_with_params()
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


class Disagreement(NamedTuple):
    """A total the summary holds that the tickets do not: `what` names the tickets counted."""

    what: str
    stored: int
    actual: int


# Days per per-day counting statement: 3 parameters each.
DAYS_CHUNK = 1000


def total_disagreements(*, using: str = "default") -> list[Disagreement]:
    """The summary's totals per status and priority, per assignee and per day, against the tickets'.

    The regression suite's probe: each side is read from an index, with no
    time-zone conversion per ticket, so it stays well under a second at a
    million tickets, where the exact comparison (`disagreements`) converts
    every row's time to its local day (in Python, on SQLite). A ticket counted
    in a wrong bucket moves at least one of these totals, unless another error
    cancels it exactly; `rebuild_stats` recounts in full either way.
    """
    summary = TicketCount.objects.using(using)
    tickets = Ticket.objects.using(using).order_by()
    found = []

    def compare(label, stored: Mapping, actual: Mapping) -> None:
        for key in sorted(set(stored) | set(actual), key=nulls_first):
            if stored.get(key, 0) != actual.get(key, 0):
                found.append(Disagreement(label(key), int(stored.get(key, 0)), int(actual.get(key, 0))))

    def totals(queryset, *fields, value) -> dict:
        rows = queryset.values(*fields).annotate(n=value).order_by().values_list(*fields, "n")
        return {tuple(row[:-1]): row[-1] for row in rows}

    by_values = totals(tickets, "status", "priority", value=Count("*"))
    compare(
        lambda key: f"{key[0]}/{key[1]} tickets",
        totals(summary, "status", "priority", value=Sum("count")),
        by_values,
    )
    compare(
        lambda key: f"tickets assigned to {key[0] or '(unassigned)'}",
        totals(summary, "assigned_to", value=Sum("count")),
        totals(tickets, "assigned_to", value=Count("*")),
    )
    stored_days = {day: n for (day,), n in totals(summary, "day", value=Sum("count")).items()}
    actual_days = created_per_day(stored_days, using=using)
    compare(lambda key: f"tickets created on {key}", stored_days, actual_days)
    elsewhere = sum(by_values.values()) - sum(actual_days.values())
    if elsewhere:  # created on days the summary has no row for at all
        found.append(Disagreement("tickets created on days it has no row for", 0, elsewhere))
    return found


def nulls_first(key) -> tuple:
    """Sort key of a total's key: a NULL where rows should have none (data_consistency's find) first."""
    return tuple((value is not None, value) for value in (key if isinstance(key, tuple) else (key,)))


def created_per_day(days: Iterable[datetime.date], *, using: str = "default") -> dict[datetime.date, int]:
    """How many tickets were created on each of `days` (in TIME_ZONE): one index range count per day."""
    connection = connections[using]
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    zone = timezone.get_default_timezone()
    table, column = quote(Ticket._meta.db_table), quote(Ticket._meta.get_field("created_at").column)

    def midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)

    counts = {}
    iterator = iter(sorted(days))
    with connection.cursor() as cursor:
        while chunk := list(islice(iterator, DAYS_CHUNK)):
            params = []
            for position, day in enumerate(chunk):
                params += [position, adapt(midnight(day)), adapt(midnight(day + datetime.timedelta(days=1)))]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"WITH days (position, day_start, day_end) AS (VALUES {values}) "
                f"SELECT days.position, (SELECT COUNT(*) FROM {table} "
                f"WHERE {table}.{column} >= days.day_start AND {table}.{column} < days.day_end) FROM days",
                params,
            )
            counts.update({chunk[position]: n for position, n in cursor.fetchall()})
    return counts
