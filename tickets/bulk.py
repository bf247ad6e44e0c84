"""The bulk write path: many tickets in one transaction, same rules and audit as single saves.

`Model.save()` is too slow for a million demo tickets, and `bulk_create()`
skips signals. These functions validate every ticket as a save would, send
the tickets app's own bulk signals (where the rules change the tickets and
other apps keep their rows in step), and insert plain rows with the
database's fastest path: `executemany` on SQLite, `COPY` on PostgreSQL.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction

from tickets import invariants
from tickets.audit import TicketWrite, current_context
from tickets.events import build_event_rows, entries_for_write
from tickets.models import TRACKED_FIELDS, Ticket, TicketEvent
from tickets.signals import (
    tickets_post_bulk_create,
    tickets_post_bulk_update,
    tickets_pre_bulk_create,
    tickets_pre_bulk_update,
)

TICKET_COLUMNS = (
    "id", "title", "description", "status", "priority", "created_at", "updated_at",
    "assigned_to", "source", "external_id", "version",
)  # fmt: skip
EVENT_COLUMNS = (
    "ticket_id", "save_id", "kind", "actor_type", "actor_id", "actor_name", "source",
    "changes", "created_at", "prev_hash", "hash",
)  # fmt: skip


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


def bulk_create_tickets(tickets: Sequence[Ticket], *, using: str | None = None) -> Sequence[Ticket]:
    """Insert new tickets (with their `created_at` as given) as if each were saved.

    A ticket may carry `history`: a list of `(when, {field: value})` changes
    made after its creation, oldest first. Each is validated, passed through
    the rules as an update and audited as its own event, exactly as a later
    save would be; the row is written once, in its final state.

    Tickets may come with ids from `reserve_ticket_ids`; the others get fresh
    ones. The rules run before the transaction opens (they only compute), so
    that the write lock is held for the inserts alone. Raises ValidationError
    naming the first invalid ticket; nothing is written then.
    """
    using = using or router.db_for_write(Ticket)
    context = current_context()
    source = context.source if context.source in Ticket.Source.values else Ticket.Source.SYSTEM
    for index, ticket in enumerate(tickets):
        ticket.normalize()
        state = ticket.state()
        _check(index, state, None)
        ticket.source = source
        ticket.version = 1
        ticket.updated_at = ticket.created_at
        ticket.current_write = TicketWrite(
            actor=context.actor, source=context.source, stored=None, proposed=state, when=ticket.created_at
        )
        ticket.bulk_writes = [ticket.current_write]
    tickets_pre_bulk_create.send(sender=Ticket, tickets=tickets, using=using)
    _apply_histories(tickets, context, using)
    missing = [ticket for ticket in tickets if ticket.id is None]
    for ticket, ticket_id in zip(missing, reserve_ticket_ids(len(missing), using), strict=True):
        ticket.id = ticket_id
    db = DbValues(using)
    rows = [
        (t.id, t.title, t.description, t.status, t.priority, db.datetime(t.created_at),
         db.datetime(t.updated_at), t.assigned_to, t.source, t.external_id, t.version)
        for t in tickets
    ]  # fmt: skip
    events = _event_rows(tickets, prev_hashes={}, db=db)
    with transaction.atomic(using=using):
        insert_rows(Ticket, TICKET_COLUMNS, rows, using=using)
        insert_rows(TicketEvent, EVENT_COLUMNS, events, using=using)
        for ticket in tickets:
            ticket._state.adding = False
            ticket._state.db = using
        tickets_post_bulk_create.send(sender=Ticket, tickets=tickets, using=using)
    for ticket in tickets:
        ticket.bulk_writes = None
    return tickets


def _apply_histories(tickets: Sequence[Ticket], context, using: str) -> None:
    """Play each ticket's `history` as successive updates, through the rules."""
    step = 0
    while True:
        movers = [(i, t) for i, t in enumerate(tickets) if len(getattr(t, "history", None) or ()) > step]
        if not movers:
            return
        for index, ticket in movers:
            when, values = ticket.history[step]
            _begin_update(index, ticket, ticket.state(), values, when, ticket.version, context)
        moved = [ticket for _, ticket in movers]
        tickets_pre_bulk_update.send(sender=Ticket, tickets=moved, using=using)
        for ticket in moved:
            write = ticket.current_write
            if ticket.state() != write.stored:
                ticket.version += 1
                ticket.updated_at = write.when
                ticket.bulk_writes.append(write)
            else:
                ticket.current_write = ticket.bulk_writes[-1]
        step += 1


def bulk_update_tickets(
    changes: Iterable[tuple[Ticket, dict, datetime]], *, using: str | None = None
) -> list[Ticket]:
    """Apply `(ticket, {field: value}, when)` changes to stored tickets as saves would.

    The stored rows are read (one query for all), each change is validated
    and passed through the rules, and the changed rows are written at once.
    Returns the tickets that changed.
    """
    using = using or router.db_for_write(Ticket)
    context = current_context()
    changes = list(changes)
    if not changes:
        return []
    with transaction.atomic(using=using):
        stored_rows = {
            row["id"]: row
            for row in Ticket.objects.using(using)
            .select_for_update()
            .filter(pk__in=[ticket.pk for ticket, _, _ in changes])
            .values("id", "version", *TRACKED_FIELDS)
        }
        tickets = []
        for index, (ticket, values, when) in enumerate(changes):
            row = stored_rows[ticket.pk]
            stored = {name: row[name] for name in TRACKED_FIELDS}
            _begin_update(index, ticket, stored, values, when, row["version"], context)
            ticket.updated_at = when
            tickets.append(ticket)
        tickets_pre_bulk_update.send(sender=Ticket, tickets=tickets, using=using)
        changed = [t for t in tickets if t.state() != t.current_write.stored]
        for ticket in changed:
            ticket.version = ticket.current_write.stored_version + 1
        db = DbValues(using)
        update_ticket_rows(changed, db=db, using=using)
        prev_hashes = latest_hashes([t.pk for t in changed], using)
        insert_rows(
            TicketEvent, EVENT_COLUMNS, _event_rows(changed, prev_hashes=prev_hashes, db=db), using=using
        )
        tickets_post_bulk_update.send(sender=Ticket, tickets=changed, using=using)
    return changed


def _begin_update(
    index: int, ticket: Ticket, stored: dict, values: dict, when, version: int, context
) -> None:
    """Put `values` over the `stored` state and open the ticket's TicketWrite, as Ticket.save would."""
    for name in TRACKED_FIELDS:
        setattr(ticket, name, values.get(name, stored[name]))
    ticket.normalize()
    state = ticket.state()
    _check(index, state, stored)
    ticket.current_write = TicketWrite(
        actor=context.actor,
        source=context.source,
        stored=stored,
        proposed=state,
        stored_version=version,
        when=when,
    )


def _check(index: int, state: dict, stored: dict | None) -> None:
    try:
        invariants.check_ticket(state, stored)
    except ValidationError as error:
        raise ValidationError({f"tickets[{index}]": [str(error.message_dict)]}) from error


def latest_hashes(ticket_ids: list[int], using: str) -> dict[int, str]:
    """The newest audit hash of each ticket (the links new events chain to)."""
    latest = (
        TicketEvent.objects.using(using)
        .filter(ticket_id__in=ticket_ids)
        .values("ticket_id")
        .annotate(latest=models.Max("id"))
        .values("latest")
    )
    return dict(TicketEvent.objects.using(using).filter(id__in=latest).values_list("ticket_id", "hash"))


def _event_rows(tickets: Sequence[Ticket], *, prev_hashes: dict[int, str], db: DbValues) -> list[tuple]:
    """`ticket_events` rows for every write of every ticket, hash-chained per ticket."""
    rows = []
    for ticket in tickets:
        prev_hash = prev_hashes.get(ticket.pk, "")
        for write in ticket.writes():
            save_id = db.uuid(write.save_id)
            when = db.datetime(write.when)
            for event in build_event_rows(
                ticket.pk,
                entries_for_write(write),
                save_id=write.save_id,
                when=write.when,
                prev_hash=prev_hash,
            ):
                rows.append(
                    (ticket.pk, save_id, event["kind"], event["actor_type"], event["actor_id"],
                     event["actor_name"], event["source"], event["changes_json"], when,
                     event["prev_hash"], event["hash"])
                )  # fmt: skip
                prev_hash = event["hash"]
    return rows


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
    every match over walking the created_at index until a page is full: a
    filtered first page at a million tickets takes 0.4 s instead of 1 ms.
    Every table is analysed (the audit and log tables grew too): under half a
    second on SQLite and about one on PostgreSQL at a million tickets. (A
    sampled ANALYZE is not enough for SQLite to see the ordering case.)
    """
    connection = connections[using or router.db_for_write(Ticket)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reserve_ticket_ids(count: int, using: str | None = None) -> Sequence[int]:
    """`count` fresh ticket ids, taken at once and never those of deleted tickets.

    On PostgreSQL a large block, outside any transaction, moves the table's
    sequence past it while the table is locked against writers for that
    moment, so that nobody draws a number in between (drawing a million
    numbers one by one took 2.3 s). Small blocks, or blocks asked for inside a
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
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def update_ticket_rows(tickets: Sequence[Ticket], *, db: DbValues, using: str) -> None:
    """Write the tracked fields, `updated_at` and `version` of stored tickets, fast."""
    if not tickets:
        return
    columns = [*TRACKED_FIELDS, "updated_at", "version"]
    values = [
        (*(getattr(t, name) for name in TRACKED_FIELDS), db.datetime(t.updated_at), t.version, t.pk)
        for t in tickets
    ]
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(columns)
            cursor.execute(
                "CREATE TEMPORARY TABLE ticket_updates ON COMMIT DROP AS "
                f"SELECT {names}, id FROM tickets WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY ticket_updates ({names}, id) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
            sets = ", ".join(f"{name} = u.{name}" for name in columns)
            cursor.execute(f"UPDATE tickets SET {sets} FROM ticket_updates u WHERE tickets.id = u.id")
            cursor.execute("DROP TABLE ticket_updates")
        else:
            assignments = ", ".join(f"{name} = %s" for name in columns)
            cursor.executemany(f"UPDATE tickets SET {assignments} WHERE id = %s", values)
