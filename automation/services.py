"""Rules as JSON: read in the API's shape, and saved (the API and `import_rules` share these)."""

from collections.abc import Mapping

from django.db import transaction

from automation import engine, rulebook
from automation.models import Rule, RuleAction, RuleCondition
from notifications.models import Channel

# The keys of a rule's JSON besides `id`, in the order the API shows them.
RULE_KEYS = ("name", "description", "position", "enabled", "trigger", "match", "stop_processing",
             "conditions", "actions")  # fmt: skip
DEFAULTS = {"description": "", "position": 100, "enabled": True, "trigger": "both", "match": "all",
            "stop_processing": False, "conditions": [], "actions": []}  # fmt: skip


def rules_for_json():
    """Rules with what their JSON needs, in position order (three queries for any number)."""
    return Rule.objects.order_by("position", "id").prefetch_related("conditions", "actions__channel")


def condition_json(condition: RuleCondition) -> dict:
    value: str | list[str] = condition.value
    if condition.operator in engine.LIST_OPERATORS:
        value = list(condition.spec().value)
    return {"field": condition.field, "operator": condition.operator, "value": value}


def action_json(action: RuleAction) -> dict:
    if action.kind == RuleAction.Kind.NOTIFY:
        return {"type": "notify", "channel": action.channel.name}
    return {"type": "set", "field": action.field, "value": action.value}


def rule_json(rule: Rule, *, with_id: bool = True) -> dict:
    """A rule in the API's JSON shape (prefetch conditions and actions with their channels)."""
    data = {"id": rule.pk} if with_id else {}
    data |= {
        "name": rule.name,
        "description": rule.description,
        "position": rule.position,
        "enabled": rule.enabled,
        "trigger": rule.trigger,
        "match": rule.match,
        "stop_processing": rule.stop_processing,
        "conditions": [condition_json(condition) for condition in rule.conditions.all()],
        "actions": [action_json(action) for action in rule.actions.all()],
    }
    return data


@transaction.atomic
def rule_save(*, rule: Rule | None, data: Mapping) -> Rule:
    """Create a rule (`rule` None) or replace the stored one's values with `data` (validated JSON).

    Conditions and actions are replaced as a whole; keys missing from `data`
    keep their stored value (or the default, on create).
    """
    current = rule_json(rule, with_id=False) if rule is not None else dict(DEFAULTS)
    values = {key: data.get(key, current.get(key)) for key in RULE_KEYS}
    rule = rule or Rule()
    for key in ("name", "description", "position", "enabled", "trigger", "match", "stop_processing"):
        setattr(rule, key, values[key])
    rule.save()
    if "conditions" in data:
        rule.conditions.all().delete()
        RuleCondition.objects.bulk_create(
            RuleCondition(rule=rule, field=c["field"], operator=c["operator"], value=_stored_value(c))
            for c in values["conditions"]
        )
    if "actions" in data:
        rule.actions.all().delete()
        channels = Channel.objects.in_bulk(
            [a["channel"] for a in values["actions"] if a.get("type") == "notify"], field_name="name"
        )
        RuleAction.objects.bulk_create(_action_row(rule, action, channels) for action in values["actions"])
    # Saving the rule told every process already; tell them again once the new rows are visible.
    transaction.on_commit(rulebook.forget_rules)
    return rule


def rule_delete(rule: Rule) -> None:
    """Delete a rule with its conditions and actions."""
    rule.delete()


def _stored_value(condition: Mapping) -> str:
    value = condition.get("value", "")
    if isinstance(value, list | tuple):
        return ",".join(str(item).strip() for item in value)
    return str(value).strip()


def _action_row(rule: Rule, action: Mapping, channels: Mapping[str, Channel]) -> RuleAction:
    if action.get("type") == "notify":
        return RuleAction(rule=rule, kind=RuleAction.Kind.NOTIFY, channel=channels[action["channel"]])
    return RuleAction(
        rule=rule, kind=RuleAction.Kind.SET, field=action["field"], value=str(action["value"]).strip()
    )


def normalized(document: Mapping) -> dict:
    """A rule's JSON (without id) as it would be stored: defaults filled in, values trimmed.

    Two rules with the same normalized JSON are the same rule; `import_rules`
    compares with it to leave unchanged rules alone.
    """
    values = {key: document.get(key, DEFAULTS.get(key)) for key in RULE_KEYS}
    values["conditions"] = [
        {"field": c["field"], "operator": c["operator"], "value": _json_value(c)}
        for c in values["conditions"]
    ]
    values["actions"] = [
        {"type": "notify", "channel": a["channel"]}
        if a.get("type") == "notify"
        else {"type": "set", "field": a["field"], "value": str(a["value"]).strip()}
        for a in values["actions"]
    ]
    return values


def _json_value(condition: Mapping):
    if condition["operator"] in engine.LIST_OPERATORS:
        return [item for item in _stored_value(condition).split(",") if item]
    return _stored_value(condition)


def changed_keys(rule: Rule, document: Mapping) -> list[str]:
    """The keys whose values `document` would change on the stored `rule`."""
    stored, wanted = rule_json(rule, with_id=False), normalized(document)
    return [key for key in RULE_KEYS if stored[key] != wanted[key]]
