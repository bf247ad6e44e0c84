"""Prometheus Alertmanager's webhook (`webhook_config`, payload version 4): one ticket per alert.

Alertmanager posts a group of alerts; each alert's `fingerprint` is its
ticket's external id. A `firing` alert creates its ticket, a `resolved` one
closes it, and a firing after a resolved that this integration delivered
reopens it. Alertmanager re-sends the group every `repeat_interval`: a
repeat says nothing new and changes nothing. It sends no delivery id, so
the SHA-256 of the body stands for one: a byte-identical repeat is answered
as a replay.
"""

import hashlib

from rest_framework import serializers

from automation.models import Integration
from intake import signatures
from intake.events import AFTER_SENDER_CLOSED, CLOSED, OPEN, AlertEvent, BadPayload, Reading, new_ticket
from intake.payloads import Choice, Identifier, StringMap, Text, Timestamp, parse_json, validated

NAME = "alertmanager"
HEADERS = ("authorization",)
VERSION = "4"


class AlertSerializer(serializers.Serializer):
    """One alert of the group, as the `webhook_config` documentation shows it."""

    status = Choice(choices=["firing", "resolved"])
    labels = StringMap()
    annotations = StringMap(required=False, default=dict)
    startsAt = Timestamp()  # noqa: N815 - the sender's key
    endsAt = Timestamp(required=False)  # noqa: N815 - the sender's key
    generatorURL = Text(required=False, default="")  # noqa: N815 - the sender's key
    fingerprint = Identifier()


class VersionField(serializers.Field):
    """The payload's version: "4" is the one this adapter reads."""

    default_error_messages = {
        "unsupported": "Only version 4 of Alertmanager's webhook payload is read, not {version}."
    }

    def to_internal_value(self, data):
        if data not in (VERSION, int(VERSION)) or isinstance(data, bool):
            self.fail("unsupported", version=repr(data)[:40])
        return VERSION

    def to_representation(self, value):
        return value


class PayloadSerializer(serializers.Serializer):
    """The group: its version and its alerts (the group's own labels are not needed)."""

    version = VersionField()
    alerts = AlertSerializer(many=True)


def delivery_id(headers, body: bytes) -> str:
    """Alertmanager sends no delivery id: the SHA-256 of the body is one (a repeat is byte-identical)."""
    return hashlib.sha256(body).hexdigest()


def authenticate(integration: Integration, headers, body: bytes) -> None:
    """The bearer token of `http_config.authorization` must be the integration's."""
    signatures.check_bearer_token(headers.get("authorization", ""), integration.secret)


def read(integration: Integration, headers, body: bytes) -> Reading:
    """The group's alerts as events: firing opens (creating the ticket), resolved closes."""
    identifier = delivery_id(headers, body)
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise BadPayload({"detail": "The body must be a JSON object (Alertmanager's payload version 4)."})
    data = validated(PayloadSerializer, payload, identifier)
    return Reading(identifier, tuple(event(integration, alert) for alert in data["alerts"]))


def event(integration: Integration, alert: dict) -> AlertEvent:
    """The event of one alert."""
    fingerprint = alert["fingerprint"]
    if alert["status"] == "resolved":
        return AlertEvent(fingerprint, CLOSED)
    labels, annotations = alert["labels"], alert["annotations"]
    return AlertEvent(
        fingerprint,
        OPEN,
        creates=new_ticket(
            external_id=fingerprint,
            title=annotations.get("summary", "") or labels.get("alertname", ""),
            fallback_title=f"Alert {fingerprint}",
            description=description(labels, annotations),
            priority=integration.priority_for_severity(labels.get("severity", "")),
            url=alert["generatorURL"],
        ),
        reopens=AFTER_SENDER_CLOSED,
    )


def description(labels: dict[str, str], annotations: dict[str, str]) -> str:
    """The alert's `description` annotation, then its labels (what an on-call person looks for first)."""
    parts = [annotations.get("description", "").strip()]
    if labels:
        parts.append("Labels: " + ", ".join(f"{name}={value}" for name, value in sorted(labels.items())))
    return "\n\n".join(part for part in parts if part)
