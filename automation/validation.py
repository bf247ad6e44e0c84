"""The one validator of a rule, shared by the admin's forms, the API and `import_rules`.

It takes a rule in its JSON shape (`trigger`, `match`, `conditions`,
`actions`, as the API shows them) and returns the problems keyed by the
offending key, so that the admin and the API cannot disagree about what a
valid rule is. A rule whose actions could break the business rule is an
`actions` problem.
"""

from collections.abc import Mapping

from automation import engine, rulebook

ACTION_TYPES = ("set", "notify")


def condition_spec(condition: Mapping) -> engine.Condition:
    """A condition in JSON (`in`/`not_in` take a list) as the engine's data."""
    value = condition.get("value", "")
    if condition.get("operator") in engine.LIST_OPERATORS:
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        value = tuple(str(item).strip() for item in items if str(item).strip())
    return engine.Condition(condition.get("field", ""), condition.get("operator", ""), value)


def rule_errors(rule: Mapping, *, channels: Mapping[str, object]) -> dict[str, list[str]]:
    """Problems of a rule, keyed by `trigger`, `match`, `conditions` or `actions`; empty when valid.

    `channels` maps each existing channel's name to anything (the names a
    notify action may use).
    """
    errors: dict[str, list[str]] = {}
    trigger, match = rule.get("trigger", "both"), rule.get("match", "all")
    if trigger not in engine.TRIGGERS:
        errors["trigger"] = [f"Unknown trigger {trigger!r}; use one of {', '.join(engine.TRIGGERS)}."]
    if match not in engine.MATCHES:
        errors["match"] = [f"Unknown match {match!r}; use all or any."]
    conditions = [condition_spec(condition) for condition in rule.get("conditions", [])]
    condition_problems = [
        f"Condition {number}: {problem}"
        for number, (raw, condition) in enumerate(zip(rule.get("conditions", []), conditions, strict=True), 1)
        for problem in _condition_problems(raw, condition)
    ]
    if condition_problems:
        errors["conditions"] = condition_problems
    sets, notify, action_problems = [], [], []
    for number, action in enumerate(rule.get("actions", []), 1):
        kind = action.get("type", "set")
        if kind == "notify":
            name = action.get("channel", "")
            if name not in channels:
                action_problems.append(f"Action {number}: no channel is named {name!r}.")
            notify.append(name)
        elif kind == "set":
            name, value = action.get("field", ""), str(action.get("value", "")).strip()
            if name not in engine.ACTION_FIELDS:
                action_problems.append(
                    f"Action {number}: actions set only {', '.join(engine.ACTION_FIELDS)}; not {name!r}."
                )
            else:
                action_problems.extend(
                    f"Action {number}: {p}" for p in engine.value_problems(name, value, "is")
                )
            sets.append(engine.Action(name, value))
        else:
            action_problems.append(f"Action {number}: unknown type {kind!r}; use set or notify.")
    if not sets and not notify:
        action_problems.append("A rule needs at least one action.")
    if action_problems:
        errors["actions"] = action_problems
    if errors:
        return errors
    spec = engine.RuleSpec(
        id=0, name=rule.get("name") or "rule", trigger=trigger, match=match,
        conditions=tuple(conditions), actions=tuple(sets), notify=tuple(notify),
    )  # fmt: skip
    breach = engine.find_breach(
        spec, is_allowed=rulebook.is_allowed, sample_assignees=rulebook.sample_assignees()
    )
    if breach is not None:
        errors["actions"] = [
            "These actions could break the business rule (a low-priority ticket in progress needs a "
            f"proper assignee), e.g. for a ticket with {breach}."
        ]
    return errors


def _condition_problems(raw: Mapping, condition: engine.Condition) -> list[str]:
    problems = []
    if condition.field not in engine.CONDITION_FIELDS:
        problems.append(
            f"unknown field {condition.field!r}; use one of {', '.join(engine.CONDITION_FIELDS)}."
        )
    if condition.operator not in engine.OPERATORS:
        problems.append(f"unknown operator {condition.operator!r}; use one of {', '.join(engine.OPERATORS)}.")
        return problems
    value = raw.get("value", "")
    if condition.operator in engine.LIST_OPERATORS:
        if isinstance(value, list) and any("," in str(item) for item in value):
            problems.append("a value of an in / not_in list may not contain a comma.")
        if not condition.value:
            problems.append(f"{condition.operator} needs a list of at least one value.")
    elif condition.operator not in engine.VALUELESS_OPERATORS and condition.operator != "is" and not value:
        problems.append(f"{condition.operator} needs a value.")
    if condition.field in engine.CONDITION_FIELDS:
        problems.extend(engine.value_problems(condition.field, condition.value, condition.operator))
    return problems
