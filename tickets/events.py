"""Writing the audit trail: each write's events, chained per ticket, keyed, inserted at once."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connections

from tickets.audit import (
    Actor,
    AuditEntry,
    canonical_json,
    current_key,
    event_digest,
    hash_time,
    key_for,
    unkeyed_digest,
)
from tickets.fields import TRACKED_FIELDS
from tickets.models import TicketEvent
from tickets.rows import DbValues, insert_rows

# Ticket ids per query, far below SQLite's limit of bound parameters.
CHUNK = 1_000

EVENT_COLUMNS = (
    "ticket_id", "save_id", "kind", "actor_type", "actor_id", "actor_name", "source",
    "changes", "text", "created_at", "prev_hash", "hash", "key_id",
)  # fmt: skip


def entries_for_write(write) -> list[AuditEntry]:
    """A write's events: the caller's own change (or the deletion), then each receiver's entry."""
    if write.deleting:
        changes = {name: [write.stored[name], None] for name in TRACKED_FIELDS}
        return [AuditEntry("deleted", write.actor, write.source, changes)]
    changes = write.proposed_changes
    entries = []
    if write.creating or changes:
        kind = "created" if write.creating else "updated"
        entries.append(AuditEntry(kind, write.actor, write.source, changes))
    entries.extend(write.entries)
    return entries


def signed_rows(
    ticket_id: int, entries: Iterable[AuditEntry], *, when: datetime, prev_hash: str, db: DbValues, save_id
) -> list[tuple]:
    """`ticket_events` rows (EVENT_COLUMNS) for `entries`, each signed and chained to the one before."""
    key_id, key = current_key()
    moment, stored_when = hash_time(when), db.datetime(when)
    rows = []
    for entry in entries:
        changes_json = canonical_json(entry.changes)
        digest = event_digest(
            key,
            prev_hash,
            ticket_id=ticket_id,
            kind=entry.kind,
            actor=entry.actor,
            source=entry.source,
            text=entry.text,
            changes_json=changes_json,
            created_at=moment,
        )
        rows.append(
            (ticket_id, save_id, entry.kind, entry.actor.kind, entry.actor.id, entry.actor.name, entry.source,
             changes_json, entry.text, stored_when, prev_hash, digest, key_id)
        )  # fmt: skip
        prev_hash = digest
    return rows


def record_events(writes: Sequence, *, using: str) -> int:
    """Insert the audit events of every write in the batch (one query for the chain links, one insert)."""
    links = latest_hashes([write.ticket.pk for write in writes if not write.creating], using=using)
    db = DbValues(using)
    rows = []
    for write in writes:
        ticket_id = write.ticket.pk
        rows.extend(
            signed_rows(
                ticket_id,
                entries_for_write(write),
                when=write.when,
                prev_hash=links.get(ticket_id, ""),
                db=db,
                save_id=db.uuid(write.save_id),
            )
        )
    insert_rows(TicketEvent, EVENT_COLUMNS, rows, using=using)
    return len(rows)


def latest_hashes(ticket_ids: list[int], *, using: str) -> dict[int, str]:
    """The newest audit hash of each ticket: the links their next events chain to.

    A raw query, for the same reason as `rows.read_tickets`: thousands of ids.
    """
    connection = connections[using]
    table = connection.ops.quote_name(TicketEvent._meta.db_table)
    links: dict[int, str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(ticket_ids), CHUNK):
            chunk = list(ticket_ids[start : start + CHUNK])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT ticket_id, hash FROM {table} WHERE id IN "
                f"(SELECT MAX(id) FROM {table} WHERE ticket_id IN ({marks}) GROUP BY ticket_id)",
                chunk,
            )
            links.update(cursor.fetchall())
    return links


def expected_hash(event: TicketEvent) -> str | None:
    """The hash `event` should carry, computed again from its stored content and `prev_hash`.

    Keyed events are re-signed with the key their `key_id` names (None when
    that key is no longer configured); events written before audit keys
    existed are re-hashed with the plain SHA-256 they were written with.
    """
    actor = Actor(event.actor_type, event.actor_id, event.actor_name)
    content = {
        "ticket_id": event.ticket_id,
        "kind": event.kind,
        "actor": actor,
        "source": event.source,
        "changes_json": canonical_json(event.changes),
        "created_at": hash_time(event.created_at),
    }
    if event.key_id is None:
        return unkeyed_digest(event.prev_hash, **content)
    key = key_for(event.key_id)
    if key is None:
        return None
    return event_digest(key, event.prev_hash, text=event.text or "", **content)
