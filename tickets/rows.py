"""How the write pipeline sends ticket rows to the database: fast, with no signals and no checks.

The pipeline decides what to write; these functions only move rows, with
each database's fastest path (`executemany` on SQLite, `COPY` on PostgreSQL),
so that one ticket and a million go through the same steps. Nothing here
validates or audits: call `tickets.pipeline.write_tickets`, not these.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connections, models, router, transaction

from tickets.models import Ticket


class DbValues:
    """Turn datetimes and UUIDs into what the database driver stores, quickly.

    Django adapts values field by field; at a million rows that costs more
    than the insert itself, so the bulk path adapts the two types that need it.
    """

    def __init__(self, using: str):
        self.postgres = connections[using].vendor == "postgresql"

    def datetime(self, value: datetime | None):
        if value is None or self.postgres:
            return value
        # Django stores SQLite datetimes as naive UTC text, "YYYY-MM-DD HH:MM:SS.ffffff".
        if value.tzinfo is not UTC and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ")

    def uuid(self, value):
        return str(value) if self.postgres else value.hex


# From this many ids on, PostgreSQL reserves a block with one setval under a short table lock.
LOCKED_BLOCK_FROM = 1_000


@contextmanager
def indexes_deferred(model: type[models.Model], using: str | None = None) -> Iterator[None]:
    """Drop `model`'s named indexes for the block and build them again afterwards.

    For loading many rows into an empty table: one sort per index at the end
    costs far less than inserting into every index row by row. The indexes
    are rebuilt even when the block fails.
    """
    connection = connections[using or router.db_for_write(model)]
    with connection.schema_editor() as editor:
        for index in model._meta.indexes:
            editor.remove_index(model, index)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for index in model._meta.indexes:
                editor.add_index(model, index)


def refresh_planner_statistics(using: str | None = None) -> None:
    """Let the query planner see the data as it now is, after a bulk load.

    Without statistics SQLite's planner prefers an equality index and sorts
    every match over walking the created_at index until a page is full.
    Every table is analysed (the audit and log tables grew too); a sampled
    ANALYZE is not enough for SQLite to see the ordering case.
    """
    connection = connections[using or router.db_for_write(Ticket)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reserve_ticket_ids(count: int, using: str | None = None) -> Sequence[int]:
    """`count` fresh ticket ids, taken at once and never those of deleted tickets.

    On PostgreSQL a large block, outside any transaction, moves the table's
    sequence past it while the table is locked against writers for that
    moment, so that nobody draws a number in between (drawing them one by
    one is slow at that size). Small blocks, or blocks asked for inside a
    caller's transaction (where the lock would last until its commit), draw
    their numbers one by one. On SQLite the AUTOINCREMENT counter
    (`sqlite_sequence`) is advanced in a short transaction of its own. Either
    way ordinary inserts continue after the block.
    """
    using = using or router.db_for_write(Ticket)
    if count == 0:
        return []
    connection = connections[using]
    if connection.vendor == "postgresql" and (count < LOCKED_BLOCK_FROM or connection.in_atomic_block):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Ticket._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Ticket._meta.db_table)
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # reads go on; inserts wait
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Ticket._meta.db_table])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s)", [sequence])
            (first,) = cursor.fetchone()
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        return range(first, first + count)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'tickets', 0"
            " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tickets')"
        )
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(id), 0) FROM tickets)) + %s"
            " WHERE name = 'tickets'",
            [count],
        )
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'tickets'")
        end = cursor.fetchone()[0]
    return range(end - count + 1, end + 1)


# From this many rows on, PostgreSQL gets them by COPY; fewer go as one pipelined INSERT.
COPY_FROM = 100


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], *, using: str
) -> None:
    """Insert tuples of driver-ready values into `model`'s table: no signals, no checks."""
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def ticket_columns() -> list[models.Field]:
    """The `tickets` table's columns, as the model declares them (the one list of them)."""
    return list(Ticket._meta.concrete_fields)


# Columns an update never rewrites: who the ticket is, and when and how it came in.
UNCHANGING = ("id", "created_at", "source")


def _converters(fields: Sequence[models.Field], db: DbValues) -> list:
    """One function per column turning an attribute into what the driver stores."""
    return [db.datetime if isinstance(field, models.DateTimeField) else None for field in fields]


def _row(ticket: Ticket, fields: Sequence[models.Field], converters: list) -> tuple:
    values = []
    for field, convert in zip(fields, converters, strict=True):
        value = getattr(ticket, field.attname)
        values.append(value if convert is None else convert(value))
    return tuple(values)


def read_tickets(ticket_ids: Sequence[int], *, using: str, lock: bool) -> dict[int, Ticket]:
    """The stored tickets with these ids, by id; locked until the transaction ends when `lock`.

    A raw query: at thousands of ids, the ORM's handling of each parameter
    costs more than the query itself.
    """
    connection = connections[using]
    table = connection.ops.quote_name(Ticket._meta.db_table)
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    found: dict[int, Ticket] = {}
    for start in range(0, len(ticket_ids), DELETE_CHUNK):
        chunk = list(ticket_ids[start : start + DELETE_CHUNK])
        marks = ", ".join(["%s"] * len(chunk))
        rows = Ticket.objects.using(using).raw(
            f"SELECT * FROM {table} WHERE id IN ({marks}) ORDER BY id{suffix}", chunk
        )
        found.update((ticket.pk, ticket) for ticket in rows)
    return found


def insert_tickets(tickets: Sequence[Ticket], *, using: str) -> None:
    """Insert new tickets (in the caller's transaction), drawing ids for those without one.

    A lone ticket without an id takes the one its INSERT draws (one
    statement); several draw a block of ids first, then go in together.
    """
    missing = [ticket for ticket in tickets if ticket.pk is None]
    if len(missing) == 1:
        tickets = [ticket for ticket in tickets if ticket.pk is not None]
        _insert_returning_id(missing[0], using)
    else:
        for ticket, ticket_id in zip(missing, reserve_ticket_ids(len(missing), using), strict=True):
            ticket.pk = ticket_id
    fields = ticket_columns()
    converters = _converters(fields, DbValues(using))
    rows = [_row(ticket, fields, converters) for ticket in tickets]
    insert_rows(Ticket, [field.column for field in fields], rows, using=using)


def _insert_returning_id(ticket: Ticket, using: str) -> None:
    fields = [field for field in ticket_columns() if not field.primary_key]
    converters = _converters(fields, DbValues(using))
    connection = connections[using]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Ticket._meta.db_table)} ({names}) VALUES ({marks}) RETURNING id",
            _row(ticket, fields, converters),
        )
        ticket.pk = cursor.fetchone()[0]


def update_tickets(tickets: Sequence[Ticket], *, using: str) -> None:
    """Write every column of stored tickets (but their id, creation time and source) from the objects."""
    if not tickets:
        return
    fields = [field for field in ticket_columns() if field.attname not in UNCHANGING]
    converters = _converters(fields, DbValues(using))
    rows = [(*_row(ticket, fields, converters), ticket.pk) for ticket in tickets]
    connection = connections[using]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {quote(Ticket._meta.db_table)} SET {assignments} WHERE id = %s", rows)


# Ids per DELETE statement, far below SQLite's limit of bound parameters.
DELETE_CHUNK = 1_000


def delete_tickets(ticket_ids: Sequence[int], *, using: str) -> None:
    """Remove the rows of these tickets (their audit trail stays)."""
    connection = connections[using]
    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(ticket_ids), DELETE_CHUNK):
            chunk = list(ticket_ids[start : start + DELETE_CHUNK])
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
