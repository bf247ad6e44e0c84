"""Database expressions the ticket constraints need, spelled per backend."""

from django.db.models import Expression, Func, IntegerField, TextField

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


class Literal(Expression):
    """A constant (int or str) written into the SQL text instead of bound as a parameter.

    SQLite uses a partial index only for a query whose condition matches the
    index's literally; a bound parameter never does. Only for the code's own
    constants: the string is quoted, but it must never come from input.
    """

    def __init__(self, value: int | str, output_field=None):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"Literal takes an int or a str, not {type(value).__name__}")
        if output_field is None:
            output_field = IntegerField() if isinstance(value, int) else TextField()
        super().__init__(output_field=output_field)
        self.value = value

    def __repr__(self) -> str:
        return f"Literal({self.value!r})"

    def as_sql(self, compiler, connection):
        if isinstance(self.value, int):
            return str(self.value), []
        return "'" + self.value.replace("'", "''") + "'", []
