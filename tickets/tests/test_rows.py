"""How the pipeline sends rows: reserved ids and deferred indexes."""

import pytest
from django.db import connection

from tickets.models import Ticket
from tickets.rows import LOCKED_BLOCK_FROM, indexes_deferred, reserve_ticket_ids
from tickets.tests.factories import TicketFactory


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


@pytest.mark.django_db
def test_reserved_ids_are_a_fresh_block_that_ordinary_inserts_continue_after():
    before = TicketFactory()
    block = list(reserve_ticket_ids(5))
    second = list(reserve_ticket_ids(3))
    after = TicketFactory()

    assert block == list(range(block[0], block[0] + 5))
    assert before.pk < block[0]
    assert second[0] > block[-1]
    assert after.pk > second[-1]
    assert list(reserve_ticket_ids(0)) == []


@pytest.mark.django_db(transaction=True)
def test_a_large_block_outside_a_transaction_is_one_run_that_inserts_continue_after():
    size = LOCKED_BLOCK_FROM + 5  # on PostgreSQL: the setval under a table lock
    before = TicketFactory()
    block = reserve_ticket_ids(size)
    after = TicketFactory()

    assert list(block) == list(range(before.pk + 1, before.pk + 1 + size))
    assert after.pk == block[-1] + 1
