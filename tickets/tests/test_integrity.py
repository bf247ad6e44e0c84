"""The stored-row invariants as SQL: healthy rows match none, and the constants are written inline."""

import itertools

import pytest
from django.db import connection

from tickets.expressions import Literal
from tickets.fields import PRIORITIES, STATUSES
from tickets.integrity import BROKEN_ROW, ROW_PROBLEMS
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_healthy_tickets_match_no_problem():
    for status, priority in itertools.product(STATUSES, PRIORITIES):
        assignee = "Ann" if (priority, status) == ("low", "in_progress") else ""
        TicketFactory(status=status, priority=priority, assigned_to=assignee)
    assert Ticket.objects.count() == 9
    assert not Ticket.objects.filter(BROKEN_ROW).exists()
    for name, condition in ROW_PROBLEMS.items():
        assert not Ticket.objects.filter(condition).exists(), name


def test_the_broken_row_condition_has_no_parameters():
    """SQLite matches a partial index only literally: a bound parameter would mean a full scan."""
    sql, params = Ticket.objects.filter(BROKEN_ROW).query.sql_with_params()
    assert params == ()
    assert "'in_progress'" in sql


@pytest.mark.parametrize("value, sql", [(0, "0"), (200, "200"), ("open", "'open'"), ("it's", "'it''s'")])
def test_a_literal_is_written_into_the_sql(value, sql):
    compiler = Ticket.objects.all().query.get_compiler(connection=connection)
    assert Literal(value).as_sql(compiler, connection) == (sql, [])


@pytest.mark.parametrize("value", [True, 1.5, None, b"x"])
def test_a_literal_takes_only_ints_and_strings(value):
    with pytest.raises(TypeError):
        Literal(value)
