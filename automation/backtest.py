"""Replaying one rule over recent tickets as they were proposed when created: what it would have done.

Each ticket created in the last N days is taken from its `created` audit
event, which holds the values its creator sent before any rule ran. The
rule alone is evaluated on each (no other rule, no cascade), with the same
engine and business-rule guard as a real save, and nothing is written.
Tickets deleted since are not replayed (the backtest reads them through the
tickets table, whose creation-time index bounds the work); tickets loaded
from fixtures have no `created` event and are not either.
"""

import dataclasses
import datetime
import json
from collections import Counter, defaultdict
from collections.abc import Mapping

from django.db import connections
from django.utils import timezone

from automation import engine, validation
from automation.rulebook import is_allowed
from notifications.models import Channel
from tickets.fields import TRACKED_FIELDS
from tickets.models import Ticket, TicketEvent

MAX_DAYS = 365
MAX_EXAMPLES = 20
BACKTESTED_TRIGGERS = ("create", "both")
READ_CHUNK = 5_000
# The fields the business-rule guard reads (`tickets.invariants.breaks_assignment_rule`).
GUARDED_FIELDS = ("status", "priority", "assigned_to")
# The proposed value of one field (the second item of its `[null, value]` pair), taken out of a
# `created` event's JSON by PostgreSQL (the parameter names the field). On PostgreSQL this halves
# the backtest's time; SQLite's json_extract is no faster than decoding the JSON here.
EXTRACT_PROPOSED = {"postgresql": "(e.changes -> %s ->> 1)"}


class NotBacktestable(ValueError):
    """A rule or window the backtest cannot replay; `field` names the offending key."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def spec_from_json(document: Mapping) -> engine.RuleSpec:
    """A rule in the API's JSON shape (already validated) as the engine's data, to be backtested.

    A notify action to an inactive channel is left out, as a saved rule's
    would be: that channel would get nothing.
    """
    actions = document.get("actions", [])
    names = [action["channel"] for action in actions if action.get("type") == "notify"]
    active = set(Channel.objects.filter(name__in=names, active=True).values_list("name", flat=True))
    return engine.RuleSpec(
        id=0,
        name=document.get("name") or "Backtested rule",
        trigger=document.get("trigger", "both"),
        match=document.get("match", "all"),
        conditions=tuple(validation.condition_spec(c) for c in document.get("conditions", [])),
        actions=tuple(
            engine.Action(action["field"], str(action["value"]).strip())
            for action in actions
            if action.get("type", "set") == "set"
        ),
        stop_processing=bool(document.get("stop_processing", False)),
        notify=tuple(dict.fromkeys(name for name in names if name in active)),
    )


def channels_notified(rule: engine.RuleSpec) -> tuple[str, ...]:
    """The channels a rule's notify actions name (none for rules that only set fields)."""
    return tuple(getattr(rule, "notify", ()))


def backtest_rule(
    rule: engine.RuleSpec, *, days: int, now: datetime.datetime | None = None, using: str = "default"
) -> dict:
    """What `rule` would have done to the tickets created in the last `days` days (the window ends now).

    Answers `{"examined", "would_fire", "changes": {field: {"old -> new": count}},
    "notifications": {channel: count}, "examples": [up to 20 ticket ids, newest first]}`.
    Raises NotBacktestable for a trigger other than create or both, or days outside 1 to 365.
    """
    if rule.trigger not in BACKTESTED_TRIGGERS:
        raise NotBacktestable("trigger", "Only rules triggered on create (create or both) can be backtested.")
    if not 1 <= days <= MAX_DAYS:
        raise NotBacktestable("days", f"Choose from 1 to {MAX_DAYS} days.")
    now = now or timezone.now()
    replayed = dataclasses.replace(rule, enabled=True)
    notified = channels_notified(rule)
    examined = fired = 0
    changes: dict[str, Counter] = defaultdict(Counter)
    notifications: Counter = Counter()
    examples: list[int] = []
    window = (now - datetime.timedelta(days=days), now)
    for ticket_id, proposed in proposals_since(*window, fields=fields_read(replayed), using=using):
        examined += 1
        outcome = engine.evaluate(None, proposed, [replayed], is_allowed=is_allowed)
        if not outcome.firings:
            continue
        fired += 1
        for name, (old, new) in outcome.changes.items():
            changes[name][f"{old} -> {new}"] += 1
        for channel in notified:
            notifications[channel] += 1
        if len(examples) < MAX_EXAMPLES:
            examples.append(ticket_id)
    return {
        "examined": examined,
        "would_fire": fired,
        "changes": {name: dict(counts.most_common()) for name, counts in sorted(changes.items())},
        "notifications": dict(notifications.most_common()),
        "examples": examples,
    }


def fields_read(rule: engine.RuleSpec) -> tuple[str, ...]:
    """The fields a replay of `rule` looks at: its conditions', its actions' and the business rule's."""
    wanted = {c.field for c in rule.conditions} | {a.field for a in rule.actions} | set(GUARDED_FIELDS)
    return tuple(name for name in TRACKED_FIELDS if name in wanted)


def proposals_since(
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    fields: tuple[str, ...] = TRACKED_FIELDS,
    using: str = "default",
):
    """(ticket id, the values its creator proposed) for tickets created in [start, end), newest first.

    One statement: the tickets' creation-time index finds the window, and the
    audit trail's ticket index their `created` events. Each field is a
    `[null, value]` pair in the event's JSON; PostgreSQL extracts only
    `fields` (the rest, such as a long description, is neither sent nor
    decoded); elsewhere the JSON is decoded here. Fields not read are empty
    in the values.
    """
    unknown = set(fields) - set(TRACKED_FIELDS)
    if unknown:
        raise ValueError(f"not ticket fields: {sorted(unknown)}")
    connection = connections[using]
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    tickets, events = quote(Ticket._meta.db_table), quote(TicketEvent._meta.db_table)
    extract = EXTRACT_PROPOSED.get(connection.vendor)
    if extract is None or not fields:
        columns, column_params, extract = "e.changes", [], None
    else:
        columns = ", ".join([extract] * len(fields))
        column_params = list(fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id, {columns} FROM {tickets} t JOIN {events} e ON e.ticket_id = t.id "
            f"WHERE t.created_at >= %s AND t.created_at < %s AND e.kind = %s "
            f"ORDER BY t.created_at DESC, t.id DESC",
            [*column_params, adapt(start), adapt(end), TicketEvent.Kind.CREATED],
        )
        empty = dict.fromkeys(TRACKED_FIELDS, "")
        while rows := cursor.fetchmany(READ_CHUNK):
            if extract is None:
                for ticket_id, changes in rows:
                    values = json.loads(changes) if isinstance(changes, str) else changes
                    yield (
                        ticket_id,
                        {**empty, **{name: (values.get(name) or [None, ""])[1] or "" for name in fields}},
                    )
            else:
                for ticket_id, *values in rows:
                    yield (
                        ticket_id,
                        {**empty, **{name: value or "" for name, value in zip(fields, values, strict=True)}},
                    )
