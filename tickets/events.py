"""Writing a ticket's audit events: one save's entries, chained and inserted at once."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from tickets.audit import (
    Actor,
    AuditEntry,
    TicketWrite,
    canonical_json,
    chain_hash,
    current_context,
    diff,
    hash_time,
)
from tickets.models import TRACKED_FIELDS, Ticket, TicketEvent


def entries_for_write(write: TicketWrite) -> list[AuditEntry]:
    """The caller's own change (if any), then each change made for them by a rule."""
    entries = []
    changes = diff(write.stored, write.proposed)
    if write.creating or changes:
        kind = "created" if write.creating else "updated"
        entries.append(AuditEntry(kind, write.actor, write.source, changes))
    entries.extend(write.entries)
    return entries


def build_event_rows(
    ticket_id: int,
    entries: Iterable[AuditEntry],
    *,
    save_id: uuid.UUID,
    when: datetime,
    prev_hash: str,
) -> list[dict]:
    """Rows of `ticket_events` for `entries`, each hash chained to the one before.

    Each row also carries `changes_json`, the exact text that was hashed,
    which the bulk path stores as is.
    """
    rows = []
    moment = hash_time(when)
    for entry in entries:
        changes_json = canonical_json(entry.changes)
        digest = chain_hash(
            prev_hash,
            ticket_id=ticket_id,
            kind=entry.kind,
            actor=entry.actor,
            source=entry.source,
            changes_json=changes_json,
            created_at=moment,
        )
        rows.append(
            {
                "ticket_id": ticket_id,
                "save_id": save_id,
                "kind": entry.kind,
                "actor_type": entry.actor.kind,
                "actor_id": entry.actor.id,
                "actor_name": entry.actor.name,
                "source": entry.source,
                "changes": entry.changes,
                "changes_json": changes_json,
                "created_at": when,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    return rows


def as_events(rows: Iterable[dict]) -> list[TicketEvent]:
    """Unsaved TicketEvent objects for rows made by `build_event_rows`."""
    return [TicketEvent(**{k: v for k, v in row.items() if k != "changes_json"}) for row in rows]


def recomputed_hash(event: TicketEvent) -> str:
    """The hash `event` should carry, computed again from its stored content and `prev_hash`."""
    return chain_hash(
        event.prev_hash,
        ticket_id=event.ticket_id,
        kind=event.kind,
        actor=Actor(event.actor_type, event.actor_id, event.actor_name),
        source=event.source,
        changes_json=canonical_json(event.changes),
        created_at=hash_time(event.created_at),
    )


def last_hash(ticket_id: int, using: str) -> str:
    """The hash of the ticket's newest event, the link the next event chains to."""
    latest = (
        TicketEvent.objects.using(using)
        .filter(ticket_id=ticket_id)
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    )
    return latest or ""


def record_save(ticket: Ticket, *, using: str) -> list[TicketEvent]:
    """Store the audit events of the save that just wrote `ticket`."""
    write = ticket.current_write
    entries = entries_for_write(write)
    if not entries:
        return []
    prev_hash = "" if write.creating else last_hash(ticket.pk, using)
    rows = build_event_rows(ticket.pk, entries, save_id=write.save_id, when=write.when, prev_hash=prev_hash)
    return TicketEvent.objects.using(using).bulk_create(as_events(rows))


def record_deletion(ticket: Ticket, *, using: str) -> TicketEvent:
    """Store a `deleted` event carrying the ticket's last values, by the current actor."""
    context = current_context()
    entry = AuditEntry(
        "deleted",
        context.actor,
        context.source,
        {name: [getattr(ticket, name), None] for name in TRACKED_FIELDS},
    )
    rows = build_event_rows(
        ticket.pk,
        [entry],
        save_id=uuid.uuid4(),
        when=timezone.now(),
        prev_hash=last_hash(ticket.pk, using),
    )
    (event,) = as_events(rows)
    event.save(using=using)
    return event
