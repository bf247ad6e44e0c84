"""Keeping tickets in step with senders: one ticket per integration and external id, never two.

`apply_events` applies a delivery's events, in the caller's transaction:

1. **Claim** the external ids: one `INSERT ... ON CONFLICT` puts a link row
   (`ExternalTicket`) for each id not seen yet and locks the rows of the
   others. The unique constraint on (integration, external id) decides
   between concurrent deliveries of one alert: the second waits for the
   first to commit, then finds its link and its ticket. The rows are
   claimed in one statement in sorted order, so two deliveries never lock
   each other's rows the other way round (no deadlock).
2. **Read** the links and their tickets (locked).
3. **Decide** per event (`intake.events.ticket_changes`): create, change,
   or leave the ticket.
4. **Write** through the one write pipeline (`tickets.pipeline`): the
   rules, the audit trail and every other app's receivers apply. A change
   the business rule refuses is skipped and logged, and the rest go ahead:
   senders such as PagerDuty drop an event answered with 4xx.
5. **Record** the links: new tickets' ids and the sender's states; claims
   of ids never seen whose event creates nothing are removed again.

A repeat of what the sender already said writes nothing: no ticket row, no
audit event, no link row.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connections, router
from django.utils import timezone

from automation.models import Integration
from intake.events import OPEN, AlertEvent, ticket_changes
from intake.models import ExternalTicket
from tickets.audit import Actor, acting_as
from tickets.models import Ticket
from tickets.pipeline import TicketChange, TicketRefused, TicketWrite, write_tickets
from tickets.rows import DbValues, read_tickets

log = logging.getLogger(__name__)

# External ids per statement, far below SQLite's limit of bound parameters.
CHUNK = 1_000
# Ticket changes per write_tickets call: a group of 500 alerts is one call.
WRITE_BATCH = 1_000
_table = ExternalTicket._meta.db_table


@dataclass
class Result:
    """What a delivery did: ticket ids created, updated and left unchanged, and what was skipped."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def answer(self) -> dict[str, list[int]]:
        """The answer's body."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def summary(self) -> str:
        """A line for the delivery log."""
        line = f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"
        if self.skipped:
            line += "; skipped " + "; ".join(self.skipped)
        return line


@dataclass
class _Link:
    id: int
    ticket_id: int | None
    sender_state: str
    claimed_now: bool


@dataclass
class _Plan:
    """Step 3's outcome: the changes to write and, per change, its link and event."""

    creates: list[tuple[AlertEvent, _Link]] = field(default_factory=list)
    updates: list[tuple[AlertEvent, _Link, int, dict]] = field(default_factory=list)
    # Link id -> (ticket id, sender state) to store.
    links: dict[int, tuple[int | None, str]] = field(default_factory=dict)
    forget: list[int] = field(default_factory=list)
    order: list[str] = field(default_factory=list)


def apply_events(
    integration: Integration, events: Sequence[AlertEvent], *, using: str | None = None
) -> Result:
    """Apply a delivery's events to tickets, in the caller's transaction; what it did."""
    using = using or router.db_for_write(Ticket)
    # The last word about an external id counts (Alertmanager sends each alert once per group).
    latest = {event.external_id: event for event in events}
    if not latest:
        return Result()
    now = timezone.now()
    claimed = claim(integration.pk, {key: event.state or OPEN for key, event in latest.items()}, now, using)
    links = read_links(integration.pk, list(latest), claimed, using)
    tickets = read_tickets(
        [link.ticket_id for link in links.values() if link.ticket_id], using=using, lock=True
    )
    plan = decide(latest, links, tickets)
    result = Result()
    items = [(event, link, TicketChange.create(event.creates)) for event, link in plan.creates]
    items += [
        (event, link, TicketChange.update(ticket_id, values))
        for event, link, ticket_id, values in plan.updates
    ]
    changed = set()
    with acting_as(Actor.for_integration(integration), source="webhook"):
        for write, (event, link, _) in _write(items, result, plan, using):
            if write.creating:
                plan.links[link.id] = (write.ticket.pk, event.state or OPEN)
                result.created.append(write.ticket.pk)
            elif write.changes:
                changed.add(write.ticket.pk)
    store_links(plan, now, using)
    for key in plan.order:  # the known tickets, in the order of the events
        ticket_id = links[key].ticket_id
        (result.updated if ticket_id in changed else result.unchanged).append(ticket_id)
    return result


def claim(integration_id: int, states: dict[str, str], now, using: str) -> set[str]:
    """Insert a link for each external id not yet claimed, lock the existing ones; the ids inserted.

    `DO UPDATE ... WHERE 1 = 0` changes no row but locks each conflicting
    one (PostgreSQL; SQLite's write lock covers the whole database), in the
    sorted order of the statement.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(_table)
    db = DbValues(using)
    moment = db.datetime(now)
    inserted: set[str] = set()
    keys = sorted(states)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            rows = ", ".join(["(%s, %s, NULL, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (integration_id, external_id, ticket_id, sender_state, created_at, "
                f"updated_at) VALUES {rows} ON CONFLICT (integration_id, external_id) DO UPDATE SET "
                f"sender_state = {table}.sender_state WHERE 1 = 0 RETURNING external_id",
                [value for key in chunk for value in (integration_id, key, states[key], moment, moment)],
            )
            inserted.update(row[0] for row in cursor.fetchall())
    return inserted


def read_links(integration_id: int, keys: list[str], claimed: set[str], using: str) -> dict[str, _Link]:
    """The link rows of these external ids (all present: claimed or locked just before).

    A raw query, as `tickets.rows.read_tickets` is: the ORM's handling of
    each of hundreds of parameters costs more than the query itself.
    """
    connection = connections[using]
    table = connection.ops.quote_name(_table)
    links = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            cursor.execute(
                f"SELECT id, external_id, ticket_id, sender_state FROM {table} "
                f"WHERE integration_id = %s AND external_id IN ({', '.join(['%s'] * len(chunk))})",
                [integration_id, *chunk],
            )
            for link_id, key, ticket_id, state in cursor.fetchall():
                links[key] = _Link(link_id, ticket_id, state, key in claimed)
    return links


def decide(latest: dict[str, AlertEvent], links: dict[str, _Link], tickets: dict[int, Ticket]) -> _Plan:
    """What to write: creations for new external ids, changes for known ones, states to store."""
    plan = _Plan()
    for key, event in latest.items():
        link = links[key]
        ticket = tickets.get(link.ticket_id) if link.ticket_id else None
        if ticket is None:
            # Never seen (or its ticket was deleted): only an event that creates makes a ticket.
            if event.creates is not None:
                plan.creates.append((event, link))
            elif link.claimed_now:
                plan.forget.append(link.id)
            continue
        plan.order.append(key)
        values = ticket_changes(event, ticket.state(), link.sender_state)
        if values:
            plan.updates.append((event, link, ticket.pk, values))
        if event.state and event.state != link.sender_state:
            plan.links[link.id] = (link.ticket_id, event.state)
    return plan


def _write(
    items: list[tuple[AlertEvent, _Link, TicketChange]], result: Result, plan: _Plan, using: str
) -> list[tuple[TicketWrite, tuple[AlertEvent, _Link, TicketChange]]]:
    """Write the changes in batches; each refused one is skipped (and logged), the others written.

    A refusal names the change's index in its batch: that change is taken
    out and the batch tried again (nothing of a refused batch was written).
    """
    done = []
    for start in range(0, len(items), WRITE_BATCH):
        pending = items[start : start + WRITE_BATCH]
        while pending:
            try:
                writes = write_tickets([change for _, _, change in pending], using=using)
            except TicketRefused as refused:
                event, link, change = pending.pop(refused.index)
                _skip(event, link, change, refused, result, plan)
                continue
            done.extend(zip(writes, pending, strict=True))
            break
    return done


def _skip(event, link, change, refused: TicketRefused, result: Result, plan: _Plan) -> None:
    reasons = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in refused.message_dict.items())
    what = f"ticket #{change.ticket_id}" if change.ticket_id else "a new ticket"
    result.skipped.append(f"{what} for {event.external_id}: {reasons}")
    log.warning("alert source: skipped %s for %s: %s", what, event.external_id, reasons)
    if change.kind == "create" and link.claimed_now:
        plan.forget.append(link.id)
        plan.links.pop(link.id, None)


def store_links(plan: _Plan, now, using: str) -> None:
    """Write the links' new ticket ids and sender states; remove claims that made no ticket."""
    connection = connections[using]
    table = connection.ops.quote_name(_table)
    moment = DbValues(using).datetime(now)
    with connection.cursor() as cursor:
        if plan.links:
            cursor.executemany(
                f"UPDATE {table} SET ticket_id = %s, sender_state = %s, updated_at = %s WHERE id = %s",
                [(ticket_id, state, moment, link_id) for link_id, (ticket_id, state) in plan.links.items()],
            )
        for start in range(0, len(plan.forget), CHUNK):
            chunk = plan.forget[start : start + CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
