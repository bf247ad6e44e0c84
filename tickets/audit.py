"""Who is changing tickets, through what, and the tamper-evident record of it.

Callers name the actor and the channel once, around their work:

    with acting_as(Actor.for_user(request.user), source="api"):
        ticket.save()

and every ticket saved inside the block is audited with them. Code that names
no one (a shell session, a migration) is recorded as the system.
"""

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

SOURCES = ("api", "webhook", "admin", "rule", "seed", "system")
ACTOR_KINDS = ("user", "integration", "rule", "system")
EVENT_KINDS = ("created", "updated", "deleted")


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user, an integration, a rule, or the system."""

    kind: str
    id: int | None
    name: str

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls("user", user.pk, user.get_username())

    @classmethod
    def for_integration(cls, integration) -> "Actor":
        return cls("integration", integration.pk, integration.name)

    @classmethod
    def for_rule(cls, rule_id: int, rule_name: str) -> "Actor":
        return cls("rule", rule_id, rule_name)


SYSTEM = Actor("system", None, "system")


@dataclass(frozen=True)
class AuditContext:
    """The actor and channel that the current code is working for."""

    actor: Actor
    source: str


# AuditContext is a frozen dataclass, so sharing the default is safe.
_DEFAULT_CONTEXT = AuditContext(SYSTEM, "system")
_context: ContextVar[AuditContext] = ContextVar("triage_audit_context", default=_DEFAULT_CONTEXT)


@contextmanager
def acting_as(actor: Actor, source: str) -> Iterator[AuditContext]:
    """Attribute every ticket change inside the block to `actor` through `source`."""
    if source not in SOURCES:
        raise ValueError(f"unknown audit source {source!r}")
    token = _context.set(AuditContext(actor, source))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    """The actor and source in effect here (the system when nobody said otherwise)."""
    return _context.get()


@dataclass
class AuditEntry:
    """One audit event before it is stored: a set of field changes by one actor."""

    kind: str
    actor: Actor
    source: str
    changes: dict[str, list]


@dataclass
class TicketWrite:
    """What one save of a ticket is doing, shared with every listener of that save.

    `stored` is the row before the save (None when creating), `proposed` the
    values the caller asked for before any rule ran; listeners that change the
    ticket (the rules) add their own entries to `entries`. A ticket being
    saved carries its write as `ticket.current_write`.
    """

    actor: Actor
    source: str
    stored: dict | None
    proposed: dict
    stored_version: int = 0
    # When the write took effect (the ticket's new updated_at); set as it is written.
    when: datetime | None = None
    save_id: uuid.UUID = field(default_factory=uuid.uuid4)
    entries: list[AuditEntry] = field(default_factory=list)

    @property
    def creating(self) -> bool:
        return self.stored is None


def diff(before: Mapping | None, after: Mapping) -> dict[str, list]:
    """Field-by-field `[old, new]` for every value that differs (old is None on create)."""
    if before is None:
        return {name: [None, value] for name, value in after.items()}
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(value) -> str:
    """The one JSON spelling of `value` that hashes are computed over (sorted keys, compact)."""
    return _canonical(value)


def hash_time(moment: datetime) -> str:
    """The UTC ISO 8601 text of an event's time, as it enters the event's hash."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def chain_hash(
    prev_hash: str,
    *,
    ticket_id: int,
    kind: str,
    actor: Actor,
    source: str,
    changes_json: str,
    created_at: str,
) -> str:
    """SHA-256 of an event's content and its predecessor's hash (per ticket).

    Rewriting or removing any earlier event of a ticket changes every later
    hash, so a verifier walking the chain finds the first altered row.
    `changes_json` is `canonical_json(changes)`, `created_at` is `hash_time(...)`;
    the only free text, the actor's name, is JSON-quoted so fields cannot run
    into each other.
    """
    text = (
        f"{prev_hash}|{ticket_id}|{kind}|{actor.kind}|{actor.id}|{_quoted(actor.name)}|"
        f"{source}|{created_at}\n{changes_json}"
    )
    return hashlib.sha256(text.encode()).hexdigest()
