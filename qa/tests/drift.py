"""Plant bad data behind the model's back, as real drift happens: raw SQL, constraints out of the way.

Everything here runs inside the test's transaction, which pytest-django
rolls back: on PostgreSQL that includes the DDL (dropped constraints,
dropped NOT NULLs); on SQLite the table copy made by `allow_nulls`.
"""

from contextlib import contextmanager
from datetime import datetime

from django.db import connection
from django.utils import timezone

from tickets.models import Ticket

CHECK_CONSTRAINTS = ("tickets_status_valid", "tickets_priority_valid", "tickets_title_not_blank")


def stored(value):
    """A value as Django itself would store it (datetimes in the backend's own format)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def insert_ticket(ticket_id: int | None = None, **values) -> int:
    """INSERT one ticket row with raw SQL (valid defaults for what is not given); return its id."""
    now = timezone.now()
    defaults = {field.column: field.get_default() for field in Ticket._meta.concrete_fields}
    row = {
        **{column: value for column, value in defaults.items() if column != "id"},
        "title": "Planted ticket",
        "created_at": now,
        "updated_at": now,
        **values,
    }
    if ticket_id is not None:
        row["id"] = ticket_id
    names = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tickets ({names}) VALUES ({marks}) RETURNING id",  # noqa: S608 - our own names
            [stored(value) for value in row.values()],
        )
        return cursor.fetchone()[0]


def update_ticket(ticket_id: int, **values) -> None:
    """UPDATE one ticket row with raw SQL: no save(), no rules, no audit."""
    assignments = ", ".join(f"{name} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE tickets SET {assignments} WHERE id = %s",  # noqa: S608 - our own names
            [*(stored(value) for value in values.values()), ticket_id],
        )


@contextmanager
def without_check_constraints():
    """Let bad enums and blank titles in, as a dropped or bypassed constraint would."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                yield
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
        else:
            for name in CHECK_CONSTRAINTS:
                cursor.execute(f"ALTER TABLE tickets DROP CONSTRAINT {name}")
            yield


def allow_nulls(*columns: str) -> None:
    """Drop NOT NULL from `columns` for the rest of the test (rolled back with it).

    SQLite cannot drop NOT NULL, so there the table is swapped for a copy
    without constraints or indexes (CREATE TABLE ... AS SELECT). Give
    inserted rows an explicit id then: the copy has no AUTOINCREMENT.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ALTER TABLE tickets RENAME TO tickets_strict")
            cursor.execute("CREATE TABLE tickets AS SELECT * FROM tickets_strict")
        else:
            for column in columns:
                cursor.execute(f"ALTER TABLE tickets ALTER COLUMN {column} DROP NOT NULL")
