"""`flush`, extended: a deliberate wipe of every table also empties the append-only audit tables.

Django's own flush (and the test framework, which calls it between
transactional tests) deletes from every table; the append-only triggers would
refuse that for the audit tables. This command lifts them for the wipe and
puts them back afterwards, in one transaction where the database allows.
"""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from tickets.append_only import install_sql, protected_tables, remove_sql, run_sql


class Command(flush.Command):
    help = flush.Command.help + " Audit tables are emptied too (their append-only triggers are lifted)."

    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        tables = protected_tables(connection)
        for table in tables:
            run_sql(connection, remove_sql(connection.vendor, table))
        try:
            return super().handle(**options)
        finally:
            for table in tables:
                run_sql(connection, install_sql(connection.vendor, table))
