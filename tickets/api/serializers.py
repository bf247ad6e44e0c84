"""The ticket and audit-event JSON of the API (and of the webhook's answers)."""

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Ticket, TicketEvent

# What the API accepts as text, as JSON Schema patterns for the OpenAPI schema. The character
# classes are spelled out (no `\s`) so that Python, which generates and checks them in tests,
# and ECMA engines read them alike. WHITESPACE is exactly what `str.strip()` removes.
WHITESPACE = r"\t\n\u000b\f\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL_PATTERN = r"^[^\u0000]*$"
NOT_BLANK_PATTERN = rf"^[^\u0000]*[^\u0000{WHITESPACE}][^\u0000]*$"
# For a field that may be blank drf-spectacular adds the empty string as a `oneOf` branch of its
# own, so the field's pattern must not match "" too (oneOf wants exactly one branch to match).
NON_EMPTY_NO_NUL_PATTERN = r"^[^\u0000]+$"


@extend_schema_field({"type": "string", "pattern": NON_EMPTY_NO_NUL_PATTERN})
class StrictCharField(serializers.CharField):
    """A string and nothing else: DRF would quietly turn `42` or `4.2` into text.

    NUL characters are refused (DRF's validator; PostgreSQL cannot store
    them), and `max_length` applies to the string as sent, before trimming,
    so the schema's `maxLength` means what it says.
    """

    default_error_messages = {"invalid": "Must be a string, not {type}."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", type=_json_type(data))
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "minLength": 1, "pattern": NOT_BLANK_PATTERN})
class TitleField(StrictCharField):
    """A title: text with at least one character that is not whitespace (and no NUL)."""


class StrictChoiceField(serializers.ChoiceField):
    """One of the choices, given as a string (DRF would accept `1` for a choice "1")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


def _json_type(value) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# Renders aware datetimes in TIME_ZONE as ISO 8601, as every DRF DateTimeField does.
_TIMESTAMP = serializers.DateTimeField()


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text and choice fields take strings only."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }
    serializer_choice_field = StrictChoiceField

    def build_standard_field(self, field_name, model_field):
        """A ticket's `title` is a TitleField (not blank, schema included)."""
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if field_name == "title":
            field_class = TitleField
        return field_class, field_kwargs


class TicketSerializer(StrictModelSerializer):
    """A ticket: its required fields plus `source`, `external_id` and `version`.

    `id`, `created_at`, `updated_at`, `source` and `version` are read-only:
    sent in a write, they are ignored. Validation here covers types, enums and
    lengths; the business rule is checked by the model's save path, whose
    error the API turns into a 400 naming the field.
    """

    class Meta:
        model = Ticket
        fields = (
            "id", "title", "description", "status", "priority", "created_at", "updated_at",
            "assigned_to", "source", "external_id", "version",
        )  # fmt: skip
        read_only_fields = ("id", "created_at", "updated_at", "source", "version")
        # Descriptions keep their spacing; names and titles are trimmed (as the model does).
        extra_kwargs = {"description": {"trim_whitespace": False}}

    def to_representation(self, ticket: Ticket) -> dict:
        """The JSON of `ticket`, built in one step.

        DRF's generic rendering walks every field of every row; for a page of
        fifty tickets that was most of the list's Python time. The output is
        the same (a test compares the two), timestamps included: they go
        through a DRF DateTimeField. Rendering needs none of the serializer's
        fields, so a list or a webhook answer never builds them.
        """
        stamp = _TIMESTAMP.to_representation
        return {
            "id": ticket.pk,
            "title": ticket.title,
            "description": ticket.description,
            "status": ticket.status,
            "priority": ticket.priority,
            "created_at": stamp(ticket.created_at),
            "updated_at": stamp(ticket.updated_at),
            "assigned_to": ticket.assigned_to,
            "source": ticket.source,
            "external_id": ticket.external_id,
            "version": ticket.version,
        }


class ActorSerializer(serializers.Serializer):
    """Who made a change: a user, an integration, a rule or the system."""

    type = serializers.CharField(source="actor_type")
    id = serializers.IntegerField(source="actor_id", allow_null=True)
    name = serializers.CharField(source="actor_name")


class TicketEventSerializer(serializers.ModelSerializer):
    """One entry of a ticket's audit trail; `changes` maps each field to `[old, new]`."""

    at = serializers.DateTimeField(source="created_at")
    actor = ActorSerializer(source="*")
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2, allow_null=True),
        help_text='Each changed field as [old, new]; old is null on "created", new is null on "deleted".',
    )

    class Meta:
        model = TicketEvent
        fields = ("id", "at", "kind", "actor", "source", "changes")
