"""The rows a write left, read back: proof that a refusal stored nothing and that an answer is true.

Tests compare `stored_state()` before and after a refused request (every
row, field by field), and compare an accepted write's answer with
`stored_json()` and its trail with `trail()`.
"""

from automation.models import AutomationLog
from dashboard.models import TicketCount
from tickets.api.serializers import TicketSerializer
from tickets.models import IdempotencyKey, Ticket, TicketEvent

# Every table a ticket write writes to: the ticket, its audit trail, the rules' log, the
# dashboard's summary rows, the API's idempotency keys.
WRITTEN_BY_A_TICKET_WRITE = {
    "tickets": Ticket,
    "ticket_events": TicketEvent,
    "automation_logs": AutomationLog,
    "dashboard_ticket_counts": TicketCount,
    "idempotency_keys": IdempotencyKey,
}


def stored_state() -> dict[str, list[dict]]:
    """Every row of every table a ticket write touches, field by field, in id order."""
    tables = WRITTEN_BY_A_TICKET_WRITE.items()
    return {table: list(model.objects.order_by("id").values()) for table, model in tables}


def nothing_stored() -> dict[str, list[dict]]:
    """What `stored_state()` is on a database that no ticket write has touched."""
    return {table: [] for table in WRITTEN_BY_A_TICKET_WRITE}


def stored_row(ticket_id: int) -> dict | None:
    """The ticket's row as stored, column by column, or None when there is none."""
    return Ticket.objects.filter(pk=ticket_id).values().first()


def stored_json(ticket_id: int) -> dict:
    """The ticket as the API would answer with it now, read from its stored row."""
    return dict(TicketSerializer(Ticket.objects.get(pk=ticket_id)).data)


def trail(ticket_id: int) -> list[tuple]:
    """The ticket's audit trail, oldest first: (kind, actor type, actor name, source, changes)."""
    events = TicketEvent.objects.filter(ticket_id=ticket_id).order_by("id")
    return list(events.values_list("kind", "actor_type", "actor_name", "source", "changes"))
