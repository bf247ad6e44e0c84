"""Database triggers that make audit tables append-only, on SQLite and PostgreSQL.

UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) on a protected table fail
with an integrity error, whoever sends them: the ORM, raw SQL or a console.
Migrations install them (`install_sql`/`remove_sql` per table); the project's
`flush` command lifts them for the length of a deliberate wipe.
"""

from django.db import migrations
from django.db.backends.base.base import BaseDatabaseWrapper

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION triage_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$$;
"""


def install_sql(vendor: str, table: str) -> list[str]:
    """Statements that protect `table` on this database vendor."""
    if vendor == "postgresql":
        return [
            PG_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION triage_refuse_rewrite()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION triage_refuse_rewrite()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]


def remove_sql(vendor: str, table: str) -> list[str]:
    """Statements that lift the protection of `table`."""
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


def protected_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """The tables of this database that carry the append-only triggers now."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers"
                " WHERE trigger_name LIKE %s",
                ["%\\_append\\_only"],
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master"
                " WHERE type = 'trigger' AND name LIKE %s ESCAPE '\\'",
                ["%\\_no\\_update"],
            )
        return sorted(row[0] for row in cursor.fetchall())


def run_sql(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def append_only_operation(table: str) -> migrations.RunPython:
    """A migration operation that installs the triggers on `table` (and removes them on reverse)."""

    def protect(apps, schema_editor):
        for statement in install_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)

    def unprotect(apps, schema_editor):
        for statement in remove_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)

    return migrations.RunPython(protect, unprotect)


def reprotect_operation(table: str) -> migrations.RunPython:
    """An operation that puts the triggers on `table` back after a migration rebuilt it.

    SQLite rebuilds a table (and drops its triggers) for many column changes;
    removing first makes this safe on a table that kept them.
    """

    def reprotect(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in [*remove_sql(vendor, table), *install_sql(vendor, table)]:
            schema_editor.execute(statement)

    return migrations.RunPython(reprotect, migrations.RunPython.noop)
