"""PagerDuty's v3 webhooks: an incident followed from triggered through acknowledged to resolved.

The ticket's external id is the incident's id (`event.data.id`), its link
`event.data.html_url`. `incident.triggered` creates it (priority `high` for
a high-urgency incident, else `medium`), `incident.acknowledged` puts it in
progress (assigning whoever acknowledged when it has no proper assignee),
`incident.resolved` closes it, `incident.reopened` reopens it.
`pagey.ping` (PagerDuty's "send test event") is answered 200; other event
types 202. `event.id` is the idempotency key: PagerDuty delivers at least
once, and a retry carries the same event.

PagerDuty drops an event answered with a 4xx and disables a subscription
whose deliveries keep failing, so nothing Triage's own rules refuse is
answered 4xx (see `intake.sync`).
"""

from rest_framework import serializers

from automation.models import Integration
from intake import signatures
from intake.events import (
    ACKNOWLEDGED,
    ALWAYS,
    CLOSED,
    OPEN,
    AlertEvent,
    BadPayload,
    Reading,
    cut,
    new_ticket,
    storable,
)
from intake.payloads import MAX_DELIVERY_ID_LENGTH, Identifier, Object, Text, parse_json, validated

NAME = "pagerduty"
HEADERS = ("x-pagerduty-signature",)
PING = "pagey.ping"
EVENT_TYPES = ("incident.triggered", "incident.acknowledged", "incident.resolved", "incident.reopened")


class EnvelopeSerializer(serializers.Serializer):
    """The envelope every v3 webhook has: `event.id` and `event.event_type`."""

    id = Identifier(max_length=MAX_DELIVERY_ID_LENGTH)
    event_type = Text()


class ReferenceSerializer(serializers.Serializer):
    """A reference such as `agent` or `service`: its `summary` is its name."""

    summary = Text(required=False, allow_null=True, default="")


class IncidentSerializer(serializers.Serializer):
    """The parts of an `incident` (the event's `data`) a ticket needs."""

    id = Identifier()
    title = Text(required=False, allow_null=True, default="")
    urgency = Text(required=False, allow_null=True, default="")
    html_url = Text(required=False, allow_null=True, default="")
    number = serializers.IntegerField(required=False, allow_null=True, default=None)
    service = ReferenceSerializer(required=False, allow_null=True, default=None)


class IncidentEventSerializer(EnvelopeSerializer):
    """An incident event, as PagerDuty's v3 webhook documentation shows it."""

    agent = ReferenceSerializer(required=False, allow_null=True, default=None)
    data = IncidentSerializer()


class PayloadSerializer(serializers.Serializer):
    event = Object()


def delivery_id(headers, body: bytes) -> str:
    """PagerDuty's delivery id is inside the signed body: none is logged before it is verified."""
    return ""


def authenticate(integration: Integration, headers, body: bytes) -> None:
    """One entry of X-PagerDuty-Signature must be the body's HMAC under the integration's secret."""
    signatures.check_pagerduty_signature(headers.get("x-pagerduty-signature", ""), integration.secret, body)


def read(integration: Integration, headers, body: bytes) -> Reading:
    """The event as a ticket event; `pagey.ping` and unhandled event types do nothing."""
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise BadPayload({"detail": "The body must be a JSON object (a PagerDuty v3 webhook payload)."})
    event = validated(PayloadSerializer, payload)["event"]
    envelope = _validated_envelope(event)
    identifier, kind = envelope["id"], envelope["event_type"]
    if kind == PING:
        return Reading(identifier, ping=True)
    if kind not in EVENT_TYPES:
        return Reading(identifier, ignored=f"PagerDuty event type {storable(kind)[:60]!r} is not handled")
    try:
        data = validated(IncidentEventSerializer, event, identifier)
    except BadPayload as bad:
        raise BadPayload({"event": bad.errors}, identifier) from None
    return Reading(identifier, (incident_event(kind, data),))


def _validated_envelope(event: dict) -> dict:
    try:
        return validated(EnvelopeSerializer, event)
    except BadPayload as bad:
        raise BadPayload({"event": bad.errors}) from None


def incident_event(kind: str, data: dict) -> AlertEvent:
    """The ticket event of one incident event."""
    incident = data["data"]
    external_id = incident["id"]
    if kind == "incident.resolved":
        return AlertEvent(external_id, CLOSED)
    if kind == "incident.reopened":
        return AlertEvent(external_id, OPEN, reopens=ALWAYS)
    if kind == "incident.acknowledged":
        agent = data["agent"] or {}
        return AlertEvent(external_id, ACKNOWLEDGED, assignee=cut(agent.get("summary") or "", "assigned_to"))
    return AlertEvent(
        external_id,
        OPEN,
        creates=new_ticket(
            external_id=external_id,
            title=incident["title"] or "",
            fallback_title=f"PagerDuty incident {external_id}",
            description=description(incident),
            priority="high" if (incident["urgency"] or "").strip().lower() == "high" else "medium",
            url=incident["html_url"] or "",
        ),
    )


def description(incident: dict) -> str:
    """Where the incident is from: its number and service, as PagerDuty names them."""
    parts = []
    if incident["number"] is not None:
        parts.append(f"PagerDuty incident #{incident['number']}")
    service = (incident["service"] or {}).get("summary") or ""
    if service:
        parts.append(f"on {service}")
    return (" ".join(parts) + ".") if parts else ""
