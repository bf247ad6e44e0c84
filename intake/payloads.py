"""Reading senders' bodies: JSON decoding and the DRF fields the adapters' serializers are built from.

Every refusal is a 400 in DRF's shape, keyed by the offending field (nested
as the payload nests), or `detail` when the body is not JSON at all.
"""

import json
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from intake.events import BadPayload, storable

MAX_ID_LENGTH = 200  # the length of a ticket's external_id
MAX_DELIVERY_ID_LENGTH = 255


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes) -> Any:
    """The decoded body; BadPayload when it is not UTF-8 JSON (NaN and Infinity are not JSON)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise BadPayload({"detail": "The body is not UTF-8 text."}) from None
    except ValueError as error:
        raise BadPayload({"detail": f"JSON parse error - {error}"}) from None
    except RecursionError:
        raise BadPayload({"detail": "JSON parse error - the document is nested too deeply."}) from None


def validated(serializer_class: type[serializers.Serializer], data: Any, delivery_id: str | None = None):
    """The serializer's validated data; BadPayload with its errors (as plain strings) when invalid."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise BadPayload(_plain(serializer.errors), delivery_id)
    return serializer.validated_data


def _plain(errors):
    """DRF's ErrorDetail structures as plain JSON (dicts, lists and strings)."""
    if isinstance(errors, dict):
        return {str(key): _plain(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_plain(value) for value in errors]
    return str(errors)


def summary(errors) -> str:
    """One line for the delivery log: `alerts.3.fingerprint: This field is required.; ...`."""
    parts: list[str] = []

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            parts.append(f"{path}: {' '.join(value)}")
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, f"{path}.{index}")
        elif value:
            parts.append(f"{path}: {value}" if path else str(value))

    walk(errors, "")
    return "; ".join(parts)


def _json_type(value) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


class Text(serializers.Field):
    """A string (never a number or a list), made storable: NUL dropped, lone surrogates replaced.

    Senders' text is taken as it is, whatever its length: the adapters cut
    what goes into length-limited ticket fields.
    """

    default_error_messages = {"invalid": "Must be a string, not {type}."}

    def __init__(self, *, allow_null=False, **kwargs):
        super().__init__(allow_null=allow_null, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", type=_json_type(data))
        return storable(data)

    def to_representation(self, value):
        return value


class Identifier(Text):
    """An id the ticket keeps (an alert fingerprint, an incident id): not blank, at most 200 characters.

    An id is never cut: a longer one is refused rather than made to collide
    with another.
    """

    default_error_messages = {
        "blank": "This field may not be blank.",
        "max_length": f"Ensure this field has no more than {MAX_ID_LENGTH} characters.",
    }

    def __init__(self, *, max_length=MAX_ID_LENGTH, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        if not value:
            self.fail("blank")
        if len(value) > self.max_length:
            self.fail("max_length")
        return value


class StringMap(serializers.Field):
    """A JSON object whose values are strings (Alertmanager's labels and annotations)."""

    default_error_messages = {
        "invalid": "Must be an object of strings, not {type}.",
        "value": "The value of {name!r} must be a string, not {type}.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid", type=_json_type(data))
        for key, value in data.items():
            if not isinstance(value, str):
                self.fail("value", name=storable(key)[:100], type=_json_type(value))
        return {storable(key): storable(value) for key, value in data.items()}

    def to_representation(self, value):
        return value


class Timestamp(serializers.Field):
    """An RFC 3339 timestamp with an offset, e.g. `2026-12-02T10:00:00Z`; kept as the aware datetime."""

    default_error_messages = {
        "invalid": "Must be an RFC 3339 timestamp with a time zone offset, such as 2026-12-02T10:00:00Z.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:  # well formed but not a date, such as month 13
            value = None
        if value is None or value.tzinfo is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat()


class Choice(serializers.ChoiceField):
    """One of the choices, given as a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=_json_type(data))
        return super().to_internal_value(data)


class Object(serializers.Field):
    """Any JSON object (its inside is not read)."""

    default_error_messages = {"invalid": "Must be an object, not {type}."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid", type=_json_type(data))
        return data

    def to_representation(self, value):
        return value


def header_id(value: str, header: str) -> str:
    """A delivery id from a header: 1 to 255 printable ASCII characters, else BadPayload naming it."""
    if not value:
        raise BadPayload({header: ["This header is required."]})
    if len(value) > MAX_DELIVERY_ID_LENGTH or not all("!" <= char <= "~" for char in value):
        raise BadPayload({header: ["Must be 1 to 255 printable ASCII characters."]}, value[:255])
    return value
