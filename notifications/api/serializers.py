"""Channels and deliveries as JSON."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import models
from rest_framework import serializers

from notifications import outbound, signing
from notifications.models import Channel, Delivery
from tickets.api.serializers import StrictCharField, StrictModelSerializer

MAX_PER_MINUTE = 10_000


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` and nothing else: DRF would take 0, 1, "yes" or "off" as well."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class ChannelSerializer(StrictModelSerializer):
    """A channel. `secret` is write-only (kept when omitted); `target` is shown whole to admins only."""

    serializer_field_mapping = {
        **StrictModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
    }

    secret = StrictCharField(
        write_only=True, required=False, allow_blank=True, max_length=200,
        help_text="Webhook channels only (and required there): `whsec_` and the base64 of a 24 to 64 byte "
        "key. Never returned; omitted in a PUT or PATCH, the stored one is kept.",
    )  # fmt: skip
    max_per_minute = serializers.IntegerField(
        min_value=1, max_value=MAX_PER_MINUTE, default=30,
        help_text="Beyond this many messages a minute, the rest go out as one digest a minute.",
    )  # fmt: skip

    class Meta:
        model = Channel
        fields = ("id", "name", "kind", "target", "secret", "active", "anomaly_alerts", "max_per_minute")
        extra_kwargs = {
            "target": {"help_text": "Comma-separated addresses for email; an https URL otherwise. "
                       "Analysts see only `<scheme>://<host>` of a URL."},
        }  # fmt: skip

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("A channel needs a name.")
        return value.strip()

    def validate(self, attrs):
        stored = self.instance
        kind = attrs.get("kind", stored.kind if stored else None)
        target = attrs.get("target", stored.target if stored else "")
        errors = {}
        problem = target_problem(kind, target)
        if problem and ("target" in attrs or "kind" in attrs):
            errors["target"] = [problem]
        secret = attrs.get("secret")
        if kind == Channel.Kind.WEBHOOK:
            if secret:
                problem = signing.secret_problem(secret)
                if problem:
                    errors["secret"] = [problem]
            elif not (stored and stored.secret):
                errors["secret"] = ["A webhook channel needs a secret (whsec_…)."]
            if secret == "":
                attrs.pop("secret")  # blank means "keep the stored one"
        elif secret:
            errors["secret"] = ["Only webhook channels have a secret."]
        else:
            attrs["secret"] = ""
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_representation(self, channel: Channel) -> dict:
        data = super().to_representation(channel)
        if channel.is_url and not self.context.get("show_target", False):
            data["target"] = shown_target(channel.target)
        return data


def shown_target(url: str) -> str:
    """What a non-admin sees of a URL: `<scheme>://<host>`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}"


def target_problem(kind: str | None, target: str) -> str | None:
    """What is wrong with a target for a channel kind: addresses for email, a URL's form otherwise."""
    if not target or not target.strip():
        return "A channel needs a target."
    if kind == Channel.Kind.EMAIL:
        addresses = [item.strip() for item in target.split(",")]
        for address in addresses:
            try:
                validate_email(address)
            except DjangoValidationError:
                return f"{address[:100]!r} is not an email address."
        return None
    return outbound.url_form_problem(target)


class DeliverySerializer(serializers.ModelSerializer):
    """One delivery in the log: `channel` is the channel's name (null for mention emails)."""

    channel = serializers.SerializerMethodField()
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ("id", "channel", "ticket", "event", "status", "attempts", "last_error", "response_code",
                  "created_at", "sent_at")  # fmt: skip
        read_only_fields = fields

    def get_channel(self, delivery: Delivery) -> str | None:
        return delivery.channel_name or None
