"""A rule as JSON: types checked here, meaning checked by `automation.validation` (shared with the admin)."""

from rest_framework import serializers
from rest_framework.settings import api_settings

from automation import backtest, engine, validation
from automation.models import Rule
from automation.services import rule_json
from notifications.api.serializers import StrictBooleanField
from notifications.models import Channel
from tickets.api.serializers import StrictCharField, StrictChoiceField


def require(attrs: dict, *keys: str) -> None:
    """A nested object's required keys (DRF skips them when the whole request is a PATCH)."""
    missing = [key for key in keys if key not in attrs]
    if missing:
        raise serializers.ValidationError({key: ["This field is required."] for key in missing})


def flat_errors(errors) -> dict[str, list[str]]:
    """DRF's errors with nested ones (a condition's, an action's) as sentences: `{key: [str, ...]}`."""
    return {key: list(_sentences(value)) for key, value in errors.items()}


def _sentences(value, prefix: str = ""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _sentences(inner, f"{prefix}{key}: ")
    elif isinstance(value, list):
        for index, inner in enumerate(value, 1):
            if isinstance(inner, dict | list):
                if inner:
                    yield from _sentences(inner, f"{prefix}item {index}: ")
            else:
                yield f"{prefix}{inner}"
    else:
        yield f"{prefix}{value}"


class ConditionSerializer(serializers.Serializer):
    field = StrictChoiceField(choices=engine.CONDITION_FIELDS)
    operator = StrictChoiceField(choices=engine.OPERATORS)
    value = serializers.JSONField(
        required=False, default="",
        help_text="A string; a list of strings for `in` and `not_in`; empty for `is_empty`, `is_not_empty`, "
        "`changed`.",
    )  # fmt: skip

    def validate(self, attrs):
        require(attrs, "field", "operator")
        value, operator = attrs.get("value", ""), attrs["operator"]
        if operator in engine.LIST_OPERATORS:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise serializers.ValidationError({"value": [f"{operator} takes a list of strings."]})
            if any(len(item) > 200 for item in value) or len(",".join(value)) > 200:
                raise serializers.ValidationError({"value": ["The list is over 200 characters in all."]})
        elif not isinstance(value, str):
            raise serializers.ValidationError({"value": [f"{operator} takes a string."]})
        elif len(value) > 200:
            raise serializers.ValidationError({"value": ["At most 200 characters."]})
        return attrs


class ActionSerializer(serializers.Serializer):
    type = StrictChoiceField(choices=validation.ACTION_TYPES)
    field = StrictChoiceField(choices=engine.ACTION_FIELDS, required=False, help_text="`set` only.")
    value = StrictCharField(required=False, allow_blank=True, max_length=100, help_text="`set` only.")
    channel = StrictCharField(required=False, max_length=100, help_text="`notify` only: a channel's name.")

    def validate(self, attrs):
        require(attrs, "type")
        if attrs["type"] == "set":
            missing = [key for key in ("field", "value") if key not in attrs]
            if missing or "channel" in attrs:
                raise serializers.ValidationError("A set action has `field` and `value`, and no `channel`.")
            return {"type": "set", "field": attrs["field"], "value": attrs["value"].strip()}
        if "channel" not in attrs or "field" in attrs or "value" in attrs:
            raise serializers.ValidationError("A notify action has `channel` only.")
        return {"type": "notify", "channel": attrs["channel"]}


class RuleSerializer(serializers.Serializer):
    """A rule: `trigger`, `match`, `conditions` and `actions` in the shape SPEC'd for the API."""

    id = serializers.IntegerField(read_only=True)
    name = StrictCharField(max_length=100)
    description = StrictCharField(required=False, allow_blank=True, max_length=10_000, trim_whitespace=False)
    position = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)
    enabled = StrictBooleanField(required=False)
    trigger = StrictChoiceField(choices=engine.TRIGGERS, required=False)
    match = StrictChoiceField(choices=engine.MATCHES, required=False)
    stop_processing = StrictBooleanField(required=False)
    conditions = ConditionSerializer(many=True, required=False, max_length=50)
    actions = ActionSerializer(many=True, min_length=1, max_length=50)

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("A rule needs a name.")
        taken = Rule.objects.filter(name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("Another rule has this name.")
        return value

    def validate(self, attrs):
        stored = rule_json(self.instance, with_id=False) if self.instance is not None else {}
        document = {**stored, **attrs}
        names = {a["channel"] for a in document.get("actions", []) if a.get("type") == "notify"}
        channels = set(Channel.objects.filter(name__in=names).values_list("name", flat=True))
        errors = validation.rule_errors(document, channels=dict.fromkeys(channels))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_representation(self, rule: Rule) -> dict:
        return rule_json(rule)


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number and nothing else: DRF would take `"7"`, `7.0` or `true` too."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class BacktestRuleSerializer(RuleSerializer):
    """A rule to backtest: as for saving, but its name is free (it may be a saved rule's) and optional,
    and only rules triggered on create can be replayed."""

    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    trigger = StrictChoiceField(
        choices=backtest.BACKTESTED_TRIGGERS,
        required=False,
        error_messages={
            "invalid_choice": "Only rules triggered on create (create or both) can be backtested, "
            "not {input}."
        },
        help_text="`create` or `both` (the default): the backtest replays creations.",
    )

    def validate_name(self, value: str) -> str:
        return value.strip()


class BacktestRequestSerializer(serializers.Serializer):
    """`POST /api/rules/backtest`: a rule (its JSON without id) and the days of history to replay it over."""

    rule = BacktestRuleSerializer()
    days = StrictIntegerField(
        min_value=1,
        max_value=backtest.MAX_DAYS,
        help_text="Tickets created in the last N days (the window ends now).",
    )


def backtest_errors(errors) -> dict[str, list[str]]:
    """The errors keyed as the rule API keys them: the rule's own keys at the top, then `rule`, `days`."""
    flat: dict[str, list[str]] = {}
    rule = errors.get("rule")
    if isinstance(rule, dict):
        for key, value in rule.items():
            name = "rule" if key == api_settings.NON_FIELD_ERRORS_KEY else key
            flat.setdefault(name, []).extend(_sentences(value))
    elif rule:
        flat["rule"] = list(_sentences(rule))
    for key, value in errors.items():
        if key != "rule":
            flat.setdefault(key, []).extend(_sentences(value))
    return flat
