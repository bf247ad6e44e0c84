"""The rules as each process holds them, and applying them to ticket saves.

Reading the rules costs three queries, so each process keeps them and reads
them again only when they change: saving or deleting a rule clears this
process's copy and bumps a generation number in the shared cache (Redis in
production), which the other processes compare on each use. With a
per-process cache (no REDIS_URL) the copy also expires after
TRIAGE_RULES_CACHE_SECONDS.
"""

import logging
import threading
import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache

from automation import engine
from tickets import invariants
from tickets.audit import Actor, AuditEntry

log = logging.getLogger(__name__)

GENERATION_KEY = "automation:rules-generation"

_lock = threading.Lock()
_cached: dict = {"rules": None, "channels": None, "generation": None, "loaded_at": 0.0}
# Where a write's fired rules are noted for the after_write receivers (log, notifications).
FIRINGS_NOTE = "automation.firings"
# ... and the channels (ids by name) the rules were read with, for their notify actions.
CHANNELS_NOTE = "automation.channels"


def is_allowed(state: Mapping) -> bool:
    """The engine's guard: a state that keeps the assignment rule."""
    return not invariants.breaks_assignment_rule(state)


def sample_assignees() -> tuple[str, ...]:
    """Assignees for the engine's rule check: the configured bots."""
    return tuple(settings.TRIAGE_BOT_NAMES)


def load_rules() -> tuple[engine.RuleSpec, ...]:
    """Every enabled rule, in order, read from the database."""
    from automation.models import Rule

    rules = Rule.objects.filter(enabled=True).prefetch_related("conditions", "actions__channel")
    return tuple(rule.spec() for rule in rules)


def load_channels() -> dict[str, int]:
    """The id of every active channel, by name (where the rules' notify actions send)."""
    from notifications.models import Channel

    return dict(Channel.objects.filter(active=True).values_list("name", "id"))


def _fresh_copy() -> dict:
    generation = cache.get(GENERATION_KEY, 0)
    age = time.monotonic() - _cached["loaded_at"]
    if (
        _cached["rules"] is not None
        and _cached["generation"] == generation
        and age < settings.TRIAGE_RULES_CACHE_SECONDS
    ):
        return _cached
    rules, channels = load_rules(), load_channels()
    with _lock:
        _cached.update(rules=rules, channels=channels, generation=generation, loaded_at=time.monotonic())
    return {"rules": rules, "channels": channels}


def current_rules() -> tuple[engine.RuleSpec, ...]:
    """The enabled rules, from this process's copy while it is fresh."""
    return _fresh_copy()["rules"]


def current_rules_and_channels() -> tuple[tuple[engine.RuleSpec, ...], dict[str, int]]:
    """The rules and the channels they may notify, from one look at this process's copy."""
    copy = _fresh_copy()
    return copy["rules"], copy["channels"]


def current_channels() -> dict[str, int]:
    """Active channels' ids by name, kept and refreshed with the rules."""
    return _fresh_copy()["channels"]


def forget_rules() -> None:
    """Drop every process's copy of the rules and channels (called when either changes)."""
    with _lock:
        _cached.update(rules=None, channels=None, generation=None, loaded_at=0.0)
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def apply_rules(
    write,
    rules: tuple[engine.RuleSpec, ...] | None = None,
    *,
    event: str | None = None,
    channels: dict[str, int] | None = None,
) -> engine.Outcome:
    """Run the rules on one ticket write: set the fields and record each firing.

    `write` is the pipeline's TicketWrite; each firing that changes a field
    becomes one of its audit entries, with the rule as the actor and `rule`
    as the source. Every firing (notify-only ones too) is noted on the write
    for the automation log and the notifications. `event` is `create` or
    `update` by default, or an SLA event.
    """
    rules = current_rules() if rules is None else rules
    ticket = write.ticket
    event = event or ("create" if write.creating else "update")
    outcome = engine.evaluate(write.stored_state, ticket.state(), rules, is_allowed=is_allowed, event=event)
    for name, (_, new) in outcome.changes.items():
        setattr(ticket, name, new)
    write.notes[FIRINGS_NOTE] = (event, outcome.firings)
    if channels is not None:
        write.notes[CHANNELS_NOTE] = channels
    for firing in outcome.firings:
        if not firing.changes:
            continue
        actor = Actor.for_rule(firing.rule.id, firing.rule.name)
        write.entries.append(AuditEntry("updated", actor, "rule", firing.changes))
    for firing in outcome.blocked:
        log.warning(
            "rule %r not applied to ticket %s: it would break the assignment rule",
            firing.rule.name,
            ticket.pk or "(new)",
        )
    return outcome


def rule_entries(write) -> list[AuditEntry]:
    """The audit entries of `write` that rules made: one per firing that changed a field."""
    return [entry for entry in write.entries if entry.source == "rule" and entry.actor.kind == "rule"]


def fired(write) -> tuple[str, list[engine.Firing]]:
    """The event the rules ran for on `write`, and the rules that fired (notify-only ones included)."""
    return write.notes.get(FIRINGS_NOTE, ("", []))


def channels_of(write) -> dict[str, int]:
    """The channels the rules of `write` were read with (read now when not noted)."""
    channels = write.notes.get(CHANNELS_NOTE)
    return current_channels() if channels is None else channels
