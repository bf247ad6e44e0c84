"""The one write path of tickets: every create, change and delete, one ticket or a million.

Every writer (the model's `save()` and `delete()`, the API and webhook
services, the admin's forms and bulk actions, the seeder, the regression
suite's probe, and other apps) describes its writes as `TicketChange`s and
hands a batch to `write_tickets`; a single save is a batch of one. What
differs between one ticket and a million is only how the rows travel to the
database (`tickets.rows`), not which steps run. Read `write_tickets` top to
bottom to see every step a write takes.
"""

import uuid
from collections.abc import Collection, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from tickets import events, invariants, rows
from tickets.audit import Actor, AuditEntry, current_context, diff
from tickets.fields import TRACKED_FIELDS, Source, Status
from tickets.models import Ticket, VersionConflict
from tickets.signals import after_write, before_write

CREATE, UPDATE, DELETE = "create", "update", "delete"
# Attribute names of the ticket's columns: what `TicketWrite.stored` holds.
COLUMN_NAMES = tuple(field.attname for field in rows.ticket_columns())
# What a new ticket holds before the writer's values; the times are set as it is written.
NEW_TICKET = {
    field.attname: None if callable(field.default) else field.get_default() for field in rows.ticket_columns()
}


@dataclass(frozen=True)
class TicketChange:
    """One write asked of the pipeline: make a ticket, change some of its fields, or delete it.

    `values` holds tracked fields only (see `tickets.fields.TRACKED_FIELDS`);
    anything else on the row is the server's to set. `when` is the moment
    the write takes effect (now, unless the seeder backdates it).
    `expected_versions` makes the write conditional on the stored version
    (HTTP's If-Match); an empty collection never matches.
    """

    kind: str
    ticket_id: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    when: datetime | None = None
    expected_versions: Collection[int] | None = None

    def __post_init__(self):
        unknown = set(self.values) - set(TRACKED_FIELDS)
        if unknown:
            raise TypeError(f"not ticket fields that writers set: {sorted(unknown)}")

    @classmethod
    def create(cls, values: Mapping[str, Any], *, ticket_id: int | None = None, when=None) -> "TicketChange":
        """A new ticket (with a reserved `ticket_id`, or a fresh one drawn as it is inserted)."""
        return cls(CREATE, ticket_id, values, when)

    @classmethod
    def update(cls, ticket_id: int, values: Mapping[str, Any], *, when=None, expected_versions=None):
        """Set `values` on the stored ticket; every other field keeps its stored value."""
        return cls(UPDATE, ticket_id, values, when, expected_versions)

    @classmethod
    def delete(cls, ticket_id: int, *, expected_versions=None) -> "TicketChange":
        """Remove the ticket; its audit trail stays and records the deletion."""
        return cls(DELETE, ticket_id, {}, None, expected_versions)


@dataclass
class TicketWrite:
    """One ticket's part in a batch, as every receiver of the pipeline's signals sees it.

    `ticket` is the row to be written: the stored row with the change put
    over it (before_write receivers may change it further). `stored` is the
    row as it was, read under lock (None when creating), as a dict of
    attribute names; `proposed` the tracked values the writer asked for,
    before any receiver ran. Receivers that change the ticket add an audit
    entry each to `entries`. `notes` carries what a before_write receiver
    leaves for an after_write one (keyed by the receiver's app, e.g. the
    rules that fired, for the notifications they queue).
    """

    kind: str
    ticket: Ticket
    stored: dict | None
    proposed: dict
    actor: Actor
    source: str
    when: datetime
    save_id: uuid.UUID = field(default_factory=uuid.uuid4)
    entries: list[AuditEntry] = field(default_factory=list)
    # The tracked values before the write (None when creating).
    stored_state: dict | None = field(init=False, default=None)
    # The tracked values as they will be stored, set once the before_write receivers are done.
    state: dict | None = field(init=False, default=None)
    # What receivers leave for each other across the two signals (the notify outbox, say).
    notes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.stored is not None:
            self.stored_state = {name: self.stored[name] for name in TRACKED_FIELDS}

    @property
    def creating(self) -> bool:
        return self.kind == CREATE

    @property
    def deleting(self) -> bool:
        return self.kind == DELETE

    @property
    def proposed_changes(self) -> dict[str, list]:
        """`[old, new]` of each tracked field the writer changed (every field on create)."""
        return diff(self.stored_state, self.proposed)

    @property
    def changes(self) -> dict[str, list]:
        """`[old, new]` of each tracked field this write changes, receivers' changes included."""
        return diff(self.stored_state, self.state if self.state is not None else self.ticket.state())


class TicketRefused(ValidationError):
    """A write the ticket rules refuse; nothing in the batch was written.

    The messages stay keyed by field, as for a single ticket; `index` and
    `ticket_id` say which write of the batch it was.
    """

    def __init__(self, error: ValidationError, *, index: int, ticket_id: int | None):
        super().__init__(error.message_dict)
        self.index = index
        self.ticket_id = ticket_id


def write_tickets(changes: Sequence[TicketChange], *, using: str | None = None) -> list[TicketWrite]:
    """Write a batch of ticket changes: all of them, with their audit trail and rules, or none.

    Raises TicketRefused (a ValidationError keyed by field) for a value the
    ticket rules refuse, Ticket.DoesNotExist for a ticket that is gone, and
    VersionConflict for one at another version than expected; nothing is
    written then. Returns the writes, whose `ticket` is the row as stored.
    """
    using = using or router.db_for_write(Ticket)
    context = current_context()
    now = timezone.now()
    # A batch of creates reads no stored row, so its checks and rules run before the
    # transaction opens: on SQLite the write lock is then held for the inserts alone.
    reads_stored_rows = any(change.kind != CREATE for change in changes)
    with transaction.atomic(using=using) if reads_stored_rows else nullcontext():
        # 1. The stored rows of the tickets changed or deleted: one query, locked until commit.
        ids = [change.ticket_id for change in changes if change.kind != CREATE]
        stored = rows.read_tickets(ids, using=using, lock=True)
        # 2. Each change put over its stored row; a ticket gone, or at another version, is refused.
        writes = [
            open_write(change, stored, actor=context.actor, source=context.source, now=now)
            for change in changes
        ]
        # 3. Validation of what the writers asked for: enums, lengths, blank titles, the assignment rule.
        check_writes(writes, lambda write: write.proposed)
        # 4. before_write: receivers may change the tickets (the rules route them first).
        before_write.send(sender=Ticket, writes=writes, using=using)
        # 5. What the receivers made must be valid too; then the fields only the server sets.
        for write in writes:
            write.state = write.ticket.state()
        check_writes(writes, lambda write: write.state)
        for write in writes:
            stamp(write)
        stored_writes = [write for write in writes if changes_row(write)]
        # Inside the transaction opened above, or the caller's own (a savepoint, so that a
        # failure here leaves the caller's transaction usable).
        with transaction.atomic(using=using, savepoint=not reads_stored_rows):
            # 6. The rows: new tickets inserted (fresh ids drawn), changed ones updated, deleted removed.
            rows.insert_tickets([w.ticket for w in stored_writes if w.creating], using=using)
            rows.update_tickets([w.ticket for w in stored_writes if w.kind == UPDATE], using=using)
            rows.delete_tickets([w.ticket.pk for w in stored_writes if w.deleting], using=using)
            # 7. The audit trail: the writer's change, then each receiver's; chained per ticket, keyed.
            events.record_events(stored_writes, using=using)
            # 8. after_write, same transaction: receivers record their rows (automation log, summary).
            after_write.send(sender=Ticket, writes=stored_writes, using=using)
    for write in writes:
        write.ticket._state.adding = False
        write.ticket._state.db = using
    return writes


def open_write(change: TicketChange, stored: dict[int, Ticket], *, actor: Actor, source: str, now):
    """The write of one change: its ticket as it would be stored, before any receiver ran."""
    when = change.when or now
    if change.kind == CREATE:
        values = NEW_TICKET | change.values
        values |= {"id": change.ticket_id, "created_at": when, "updated_at": when}
        values["source"] = source if source in Source.values else Source.SYSTEM
        ticket = Ticket.from_db(None, COLUMN_NAMES, [values[name] for name in COLUMN_NAMES])
        ticket._state.adding = True
        row = None
    else:
        ticket = stored.get(change.ticket_id)
        if ticket is None:
            raise Ticket.DoesNotExist(f"ticket #{change.ticket_id} does not exist")
        if change.expected_versions is not None and ticket.version not in change.expected_versions:
            raise VersionConflict(change.ticket_id, expected=change.expected_versions, current=ticket.version)
        row = {name: getattr(ticket, name) for name in COLUMN_NAMES}
        for name, value in change.values.items():
            setattr(ticket, name, value)
    ticket.normalize()
    return TicketWrite(change.kind, ticket, row, ticket.state(), actor, source, when)


def check_writes(writes: Sequence[TicketWrite], state_of) -> None:
    """Raise TicketRefused for the first write whose state (as `state_of` gives it) may not be stored."""
    for index, write in enumerate(writes):
        if write.deleting:
            continue
        try:
            invariants.check_ticket(state_of(write), write.stored_state)
        except ValidationError as error:
            raise TicketRefused(error, index=index, ticket_id=write.ticket.pk) from error


def stamp(write: TicketWrite) -> None:
    """Set what only the server sets: `closed_at`, and `updated_at` and `version` on a tracked change.

    A write that changes no tracked field keeps the ticket's `updated_at`,
    `version` and so its ETag.
    """
    ticket = write.ticket
    if write.creating:
        ticket.version = 1
        ticket.updated_at = ticket.created_at
        ticket.closed_at = write.when if ticket.status == Status.CLOSED else None
        return
    if write.deleting or not write.changes:
        return
    ticket.version = write.stored["version"] + 1
    ticket.updated_at = write.when
    was_closed = write.stored["status"] == Status.CLOSED
    if ticket.status == Status.CLOSED and not was_closed:
        ticket.closed_at = write.when
    elif ticket.status != Status.CLOSED:
        ticket.closed_at = None


def changes_row(write: TicketWrite) -> bool:
    """Whether the write touches the table: always for creates and deletes, else when a column differs."""
    if write.kind != UPDATE:
        return True
    ticket = write.ticket
    return any(getattr(ticket, name) != value for name, value in write.stored.items())
