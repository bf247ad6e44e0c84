"""The bulk path's helpers."""

import pytest
from django.db import connection

from tickets.bulk import indexes_deferred
from tickets.models import Ticket


def ticket_indexes() -> set[str]:
    # Django's SQLite introspection cannot parse expression indexes; ask the catalogues.
    query = (
        "SELECT indexname FROM pg_indexes WHERE tablename = 'tickets'"
        if connection.vendor == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets'"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_deferred_indexes_are_rebuilt_after_the_block_even_when_it_fails():
    named = {index.name for index in Ticket._meta.indexes}
    assert named <= ticket_indexes()
    with pytest.raises(RuntimeError), indexes_deferred(Ticket):
        assert not named & ticket_indexes()
        raise RuntimeError("seeding failed")
    assert named <= ticket_indexes()
