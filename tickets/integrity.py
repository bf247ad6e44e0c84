"""The stored-row invariants as SQL conditions: what a ticket row that broke them looks like.

The database constraints and `invariants.check_ticket` keep bad rows out;
these conditions find the ones that got in anyway (a dropped constraint, a
raw UPDATE, a restore from an old dump). Each names one problem; a row that
matches any of them is broken. The regression suite's `data_consistency`
check filters on `BROKEN_ROW`, and the partial index of the same condition
(see `Ticket.Meta.indexes`) keeps that a lookup in an empty index instead of
a scan of every ticket.
"""

from django.db.models import F, Func, Q
from django.db.models.functions import Coalesce, Length, Lower
from django.db.models.lookups import Exact, GreaterThan

from tickets.expressions import Literal, TrimWhitespace
from tickets.fields import MAX_LENGTHS, PRIORITIES, STATUSES

# Problem name -> the condition a row with that problem matches. Constants are
# Literals, not parameters: SQLite matches a partial index only literally.
ROW_PROBLEMS: dict[str, Q] = {
    "title_null": Q(title__isnull=True),
    "title_blank": Q(Exact(Length(TrimWhitespace("title")), Literal(0))),
    "title_too_long": Q(GreaterThan(Length("title"), Literal(MAX_LENGTHS["title"]))),
    "description_null": Q(description__isnull=True),
    "status_null": Q(status__isnull=True),
    "status_invalid": ~Q(status__in=[Literal(status) for status in STATUSES]),
    "priority_null": Q(priority__isnull=True),
    "priority_invalid": ~Q(priority__in=[Literal(priority) for priority in PRIORITIES]),
    "assigned_to_null": Q(assigned_to__isnull=True),
    "assigned_to_too_long": Q(GreaterThan(Length("assigned_to"), Literal(MAX_LENGTHS["assigned_to"]))),
    "created_at_null": Q(created_at__isnull=True),
    "updated_at_null": Q(updated_at__isnull=True),
    "updated_before_created": Q(updated_at__lt=F("created_at")),
}


def _any_of(conditions) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


# A row with at least one problem. Keep it identical to the partial index's
# condition: the planners use that index only for exactly this predicate.
BROKEN_ROW: Q = _any_of(ROW_PROBLEMS.values())


def assignee_key() -> Func:
    """The assignee as the assignment rule compares it: trimmed, lower-cased, NULL as empty.

    The routing index (see `Ticket.Meta.indexes`) is built on exactly this
    expression, so "unassigned" (`''`) and "a bot" are index lookups. `LOWER`
    folds ASCII alike on both databases; bot names are expected to be ASCII.
    """
    return Coalesce(Lower(TrimWhitespace("assigned_to")), Literal(""))
