"""Keeping the summary table (`TicketCount`) in step with ticket writes, and recounting it.

A ticket sits in one bucket: (created day in TIME_ZONE, status, priority,
assignee). A write moves it from its old bucket (None when created) to its
new one (None when deleted). The moves of a batch are summed per bucket in
Python and appended as rows (+n, -n) in the write's transaction: an insert
takes no lock that another writer waits for, so writers of the same bucket
never queue behind each other's commit. `fold` merges each bucket's rows
into one, in a short transaction of its own that skips rows another fold
holds; every `FOLD_EVERY` rows a process appends, it folds after commit.

Days are counted in settings.TIME_ZONE when the ticket is written: after
changing TIME_ZONE, run `python manage.py rebuild_stats`.
"""

import datetime
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import NamedTuple

from django.db import connections, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from dashboard.models import TicketCount
from tickets.models import Ticket
from tickets.rows import insert_rows

# Appended rows a process writes before it folds the summary (after the write's commit).
FOLD_EVERY = 500


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


def record_moves(moves: Iterable[Move], *, using: str) -> int:
    """Append the net effect of ticket moves on each bucket (call inside the write's transaction)."""
    deltas: Counter[Bucket] = Counter()
    for before, after in moves:
        if before == after:
            continue
        if before is not None:
            deltas[before] -= 1
        if after is not None:
            deltas[after] += 1
    adapt_day = connections[using].ops.adapt_datefield_value
    rows = [
        (adapt_day(bucket.day), bucket.status, bucket.priority, bucket.assigned_to, delta)
        for bucket, delta in sorted(deltas.items())
        if delta
    ]
    insert_rows(TicketCount, ("day", "status", "priority", "assigned_to", "count"), rows, using=using)
    if rows and _fold_due(len(rows)):
        transaction.on_commit(lambda: fold(using=using), using=using)
    return len(rows)


_appended = {"rows": 0}
_appended_lock = threading.Lock()


def _fold_due(added: int) -> bool:
    """Count this process's appended rows; True once every FOLD_EVERY of them."""
    with _appended_lock:
        before = _appended["rows"]
        _appended["rows"] = before + added
        return before // FOLD_EVERY != _appended["rows"] // FOLD_EVERY


def fold(*, using: str = "default") -> int:
    """Merge the rows of every bucket that has several (or only zeros) into one; returns rows removed.

    One short transaction. The rows are locked as they are read, skipping any
    that another fold holds, and the merged rows are inserted before commit,
    so every reader sees the same sums before and after. Writers only append,
    so they never wait for a fold, nor a fold for them.
    """
    counts = TicketCount.objects.using(using)
    buckets = counts.values("day", "status", "priority", "assigned_to").annotate(
        rows=Count("id"), total=Sum("count")
    )
    untidy = [
        (row["day"], row["status"], row["priority"], row["assigned_to"])
        for row in buckets.order_by()
        if row["rows"] > 1 or row["total"] == 0
    ]
    if not untidy:
        return 0
    removed = 0
    with transaction.atomic(using=using):
        for chunk in _chunks(untidy, 200):
            condition = _buckets_condition(chunk)
            locked = list(
                counts.filter(condition)
                .select_for_update(skip_locked=True)
                .values_list("id", "day", "status", "priority", "assigned_to", "count")
            )
            if not locked:
                continue
            sums: Counter[Bucket] = Counter()
            for _, *bucket, count in locked:
                sums[Bucket(*bucket)] += count
            counts.filter(id__in=[row[0] for row in locked]).delete()
            removed += len(locked)
            TicketCount.objects.using(using).bulk_create(
                TicketCount(**bucket._asdict(), count=n) for bucket, n in sorted(sums.items()) if n
            )
            removed -= sum(1 for n in sums.values() if n)
    return removed


def _chunks(items: list, size: int):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _buckets_condition(buckets: list[tuple]) -> Q:
    condition = Q(pk__in=[])
    for day, status, priority, assigned_to in buckets:
        condition |= Q(day=day, status=status, priority=priority, assigned_to=assigned_to)
    return condition


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
    return TicketCount.objects.using(using).count()


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
    time-zone conversion per ticket, where an exact comparison per bucket
    would convert every row's time to its local day (in Python, on SQLite).
    A ticket counted in a wrong bucket moves at least one of these totals,
    unless another error cancels it exactly; `rebuild_stats` recounts in full
    either way.
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
