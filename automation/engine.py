"""The rules engine: pure functions, no database.

Given a ticket's stored state (None on create), the state a caller proposes
and the ordered rules, `evaluate` returns the final state and the firings
that led to it. A rule fires when it is enabled, its trigger matches, its
conditions hold, and it notifies a channel or its actions change at least
one value. Evaluation makes
passes over the rules until a pass fires nothing, and each rule fires at most
once per save, so rules can chain but never loop.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

from tickets.fields import ENUM_VALUES, RULE_ACTION_FIELDS, RULE_CONDITION_FIELDS

# Fields a condition may test, and fields an action may set (the ticket's shape says which).
CONDITION_FIELDS = RULE_CONDITION_FIELDS
ACTION_FIELDS = RULE_ACTION_FIELDS
# Operators on the value in this save, then on the change made by this save.
VALUE_OPERATORS = ("is", "is_not", "in", "not_in", "is_empty", "is_not_empty", "contains")
CHANGE_OPERATORS = ("changed", "changed_to", "changed_from")
OPERATORS = VALUE_OPERATORS + CHANGE_OPERATORS
# Operators that take no value, and those that take a list.
VALUELESS_OPERATORS = ("is_empty", "is_not_empty", "changed")
LIST_OPERATORS = ("in", "not_in")
# Triggers: saves (create, update, or both), and the SLA events the worker's clock raises.
TRIGGERS = ("create", "update", "both", "sla_at_risk", "sla_breached")
SAVE_EVENTS = ("create", "update")
MATCHES = ("all", "any")


def _changed(current, before, value) -> bool:
    return before != current


# Each operator as a test of (current value, value before this save, condition value).
# `before` is None on create: every field counts as changed from nothing.
_TESTS = {
    "is": lambda current, before, value: current == value,
    "is_not": lambda current, before, value: current != value,
    "in": lambda current, before, value: current in value,
    "not_in": lambda current, before, value: current not in value,
    "is_empty": lambda current, before, value: current.strip() == "",
    "is_not_empty": lambda current, before, value: current.strip() != "",
    "contains": lambda current, before, value: str(value).casefold() in current.casefold(),
    "changed": _changed,
    "changed_to": lambda current, before, value: before != current and current == value,
    "changed_from": lambda current, before, value: before != current and before == value,
}


@dataclass(frozen=True)
class Condition:
    """A test of one field: `operator` applied to the field and `value`."""

    field: str
    operator: str
    value: str | tuple[str, ...] = ""

    def holds(self, stored: Mapping | None, state: Mapping) -> bool:
        current = state.get(self.field) or ""
        before = None if stored is None else (stored.get(self.field) or "")
        return _TESTS[self.operator](current, before, self.value)


@dataclass(frozen=True)
class Action:
    """Set `field` to `value`."""

    field: str
    value: str


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine sees it: plain, immutable data."""

    id: int
    name: str
    position: int = 0
    trigger: str = "both"
    match: str = "all"
    conditions: tuple[Condition, ...] = ()
    actions: tuple[Action, ...] = ()
    stop_processing: bool = False
    enabled: bool = True
    # Names of the channels its notify actions send to.
    notify: tuple[str, ...] = ()

    def applies_to(self, event: str) -> bool:
        """True when the rule is on and its trigger covers `event` (`create`, `update`, `sla_*`)."""
        if not self.enabled:
            return False
        return self.trigger == event or (self.trigger == "both" and event in SAVE_EVENTS)

    def matches(self, stored: Mapping | None, state: Mapping) -> bool:
        """True when the conditions hold (`all` of them or `any`; no conditions = always)."""
        if not self.conditions:
            return True
        wanted = self.match == "all"
        for condition in self.conditions:
            if condition.holds(stored, state) is not wanted:
                return not wanted
        return wanted

    def apply(self, state: Mapping) -> dict[str, list]:
        """The `[old, new]` changes its actions would make to `state`."""
        return {
            action.field: [state.get(action.field), action.value]
            for action in self.actions
            if state.get(action.field) != action.value
        }


@dataclass(frozen=True)
class Firing:
    """One rule that fired in a save, and what it changed."""

    rule: RuleSpec
    changes: dict[str, list]


@dataclass
class Outcome:
    """The result of evaluating the rules for one save."""

    state: dict
    firings: list[Firing] = field(default_factory=list)
    # Rules whose changes would have broken the assignment rule, left unapplied.
    blocked: list[Firing] = field(default_factory=list)

    @property
    def changes(self) -> dict[str, list]:
        """Net `[old, new]` per field over all firings."""
        net: dict[str, list] = {}
        for firing in self.firings:
            for name, (old, new) in firing.changes.items():
                net[name] = [net[name][0] if name in net else old, new]
        return {name: pair for name, pair in net.items() if pair[0] != pair[1]}


def evaluate(
    stored: Mapping | None,
    proposed: Mapping,
    rules: Sequence[RuleSpec],
    *,
    is_allowed: Callable[[Mapping], bool] = lambda state: True,
    event: str | None = None,
) -> Outcome:
    """Apply `rules` (in position order) to `proposed`; see the module docstring.

    `is_allowed` guards the business rule: a firing whose result it refuses is
    not applied and is reported in `Outcome.blocked` instead. `event` is what
    happened (`create` or `update`, the default by `stored`, or an SLA event).
    """
    event = event or ("create" if stored is None else "update")
    candidates = [rule for rule in rules if rule.applies_to(event)]
    outcome = Outcome(state=dict(proposed))
    done: set[int] = set()
    fired_in_pass = True
    while fired_in_pass:
        fired_in_pass = False
        for rule in candidates:
            if rule.id in done or not rule.matches(stored, outcome.state):
                continue
            changes = rule.apply(outcome.state)
            if not changes and not rule.notify:
                continue
            done.add(rule.id)
            candidate_state = {**outcome.state, **{name: new for name, (_, new) in changes.items()}}
            if not is_allowed(candidate_state):
                outcome.blocked.append(Firing(rule, changes))
                continue
            outcome.state = candidate_state
            outcome.firings.append(Firing(rule, changes))
            fired_in_pass = True
            if rule.stop_processing:
                return outcome
    return outcome


def rule_problems(
    rule: RuleSpec, *, is_allowed: Callable[[Mapping], bool], sample_assignees: Sequence[str]
) -> list[str]:
    """Reasons a rule may not be saved: bad fields, operators, values, or a rule breach.

    The business-rule test is exhaustive over a small model of tickets (see
    `find_breach`), so a rule that could ever turn an allowed ticket into a
    forbidden one is refused.
    """
    problems = []
    for condition in rule.conditions:
        if condition.field not in CONDITION_FIELDS:
            problems.append(f"Unknown condition field {condition.field!r}.")
        if condition.operator not in OPERATORS:
            problems.append(f"Unknown operator {condition.operator!r}.")
        problems.extend(value_problems(condition.field, condition.value, condition.operator))
    for action in rule.actions:
        if action.field not in ACTION_FIELDS:
            problems.append(f"Actions can set only {', '.join(ACTION_FIELDS)}; not {action.field!r}.")
        problems.extend(value_problems(action.field, action.value, "is"))
    if rule.trigger not in TRIGGERS:
        problems.append(f"Unknown trigger {rule.trigger!r}.")
    if rule.match not in MATCHES:
        problems.append(f"Unknown match {rule.match!r}; use all or any.")
    if not rule.actions and not rule.notify:
        problems.append("A rule needs at least one action.")
    if problems:
        return problems
    breach = find_breach(rule, is_allowed=is_allowed, sample_assignees=sample_assignees)
    if breach is not None:
        problems.append(
            "These actions could break the business rule (a low-priority ticket in progress "
            f"needs a proper assignee), e.g. for a ticket with {breach}."
        )
    return problems


def value_problems(name: str, value, operator: str) -> list[str]:
    if name not in ENUM_VALUES or operator in VALUELESS_OPERATORS:
        return []
    values = value if isinstance(value, tuple) else (value,)
    allowed = ENUM_VALUES[name]
    return [
        f"{item!r} is not a valid {name}; choose from {', '.join(allowed)}."
        for item in values
        if item not in allowed
    ]


def find_breach(
    rule: RuleSpec, *, is_allowed: Callable[[Mapping], bool], sample_assignees: Sequence[str]
) -> str | None:
    """An allowed ticket that this rule alone would turn into a forbidden one, described.

    Tickets are modelled by representative values: every status and priority,
    the sample assignees (empty, a person, the bots) and every value the rule
    names, before (or None, on create) and after. The model is small, so the
    search is exhaustive.
    """
    domain = _domain(rule, sample_assignees)
    names = list(domain)
    states = [dict(zip(names, values, strict=True)) for values in product(*domain.values())]
    befores: list[dict | None] = []
    if rule.trigger in ("create", "both"):
        befores.append(None)
    if rule.trigger != "create":
        befores.extend(states)
    for state in states:
        if not is_allowed(state):
            continue
        for before in befores:
            if not rule.matches(before, state):
                continue
            after = state | {action.field: action.value for action in rule.actions}
            if not is_allowed(after):
                shown = ("status", "priority", "assigned_to")
                return ", ".join(f"{key}={state[key]!r}" for key in shown)
    return None


def _domain(rule: RuleSpec, sample_assignees: Sequence[str]) -> dict[str, list[str]]:
    """Representative values per field the rule or the business rule looks at."""
    domain: dict[str, set[str]] = {
        "status": set(ENUM_VALUES["status"]),
        "priority": set(ENUM_VALUES["priority"]),
        "assigned_to": {"", "Alice", *sample_assignees},
    }
    for item in (*rule.conditions, *rule.actions):
        values = item.value if isinstance(item.value, tuple) else (item.value,)
        domain.setdefault(item.field, {""}).update(values)
    return {name: sorted(values) for name, values in domain.items()}
