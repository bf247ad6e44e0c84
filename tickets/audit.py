"""Who is changing tickets, through what, and the keyed, tamper-evident record of it.

Callers name the actor and the channel once, around their work:

    with acting_as(Actor.for_user(request.user), source="api"):
        ticket.save()

and every ticket written inside the block is audited with them. Code that
names no one (a shell session, a migration) is recorded as the system.

Each audit event carries an HMAC-SHA256 of its content and of the previous
event of its ticket, keyed with a key held outside the database
(`TRIAGE_AUDIT_KEYS`). Someone who can rewrite the table but does not hold
the key cannot make a rewritten event verify; see the QA guide for what the
chain does and does not prove.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings

SOURCES = ("api", "webhook", "admin", "rule", "seed", "system")
EVENT_KINDS = ("created", "updated", "deleted", "sla", "comment", "comment_deleted")


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
    """One audit event before it is stored: what changed, by whom, and a sentence when it helps."""

    kind: str
    actor: Actor
    source: str
    changes: dict[str, list]
    text: str = field(default="")


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


def current_key() -> tuple[str, bytes]:
    """The key new events are signed with: the first of TRIAGE_AUDIT_KEYS, as (key id, key)."""
    return settings.TRIAGE_AUDIT_KEYS[0]


def key_for(key_id: str) -> bytes | None:
    """The configured key with this id (old keys stay configured to verify old events), or None."""
    for candidate, key in settings.TRIAGE_AUDIT_KEYS:
        if candidate == key_id:
            return key
    return None


def event_digest(
    key: bytes,
    prev_hash: str,
    *,
    ticket_id: int,
    kind: str,
    actor: Actor,
    source: str,
    text: str,
    changes_json: str,
    created_at: str,
) -> str:
    """HMAC-SHA256, under `key`, of an event's content and its predecessor's hash (per ticket).

    Rewriting or removing an earlier event of a ticket breaks the link of the
    next one, and a rewritten event cannot be re-signed without the key.
    `changes_json` is `canonical_json(changes)`, `created_at` is
    `hash_time(...)`; the free texts are JSON-quoted so fields cannot run
    into each other.
    """
    message = (
        f"{prev_hash}|{ticket_id}|{kind}|{actor.kind}|{actor.id}|{_quoted(actor.name)}|"
        f"{source}|{created_at}|{_quoted(text)}\n{changes_json}"
    )
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def unkeyed_digest(
    prev_hash: str,
    *,
    ticket_id: int,
    kind: str,
    actor: Actor,
    source: str,
    changes_json: str,
    created_at: str,
) -> str:
    """The plain SHA-256 that events written before audit keys existed carry.

    Anyone can recompute it, so it only shows that such an event is
    consistent with itself; the regression suite reports these events as
    unkeyed.
    """
    message = (
        f"{prev_hash}|{ticket_id}|{kind}|{actor.kind}|{actor.id}|{_quoted(actor.name)}|"
        f"{source}|{created_at}\n{changes_json}"
    )
    return hashlib.sha256(message.encode()).hexdigest()
