"""Database expressions the ticket constraints need, spelled per backend."""

from django.db.models import Func, TextField

WHITESPACE = " \t\n\r"


class TrimWhitespace(Func):
    """TRIM of spaces, tabs, carriage returns and newlines (plain TRIM removes only spaces)."""

    function = "TRIM"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="TRIM(%(expressions)s, char(32, 9, 10, 13))", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="BTRIM(%(expressions)s, E' \\t\\n\\r')", **extra_context
        )
