"""GitHub's repository webhooks: `issues` events mirror an issue in a ticket while it is open.

The ticket's external id is `<repository.full_name>#<issue.number>` (e.g.
`acme/api#42`), its link `issue.html_url`. `opened` creates it, `edited`
updates its title and description, `closed` closes it, `reopened` reopens
it. `ping` (sent when the hook is made) is answered 200; other events and
actions 202. `X-GitHub-Delivery` is the idempotency key: GitHub sends the
same one when a delivery is redelivered. Bodies may come as JSON or, with
the hook's content type left at `application/x-www-form-urlencoded`, as
`payload=<JSON>`.
"""

from urllib.parse import parse_qs

from rest_framework import serializers

from automation.models import Integration
from intake import signatures
from intake.events import ALWAYS, CLOSED, OPEN, AlertEvent, BadPayload, Reading, cut, new_ticket, storable
from intake.payloads import Identifier, Text, header_id, parse_json, validated

NAME = "github"
HEADERS = ("x-hub-signature-256", "x-github-event", "x-github-delivery", "content-type")
ACTIONS = ("opened", "edited", "closed", "reopened")
MAX_FULL_NAME = 150  # GitHub's owner (39) and repository (100) names, with room to spare


class IssueSerializer(serializers.Serializer):
    """The parts of `issue` a ticket needs."""

    number = serializers.IntegerField(min_value=1, max_value=10**12)
    title = Text()
    body = Text(required=False, allow_null=True, default="")
    html_url = Text(required=False, default="")


class RepositorySerializer(serializers.Serializer):
    full_name = Identifier(max_length=MAX_FULL_NAME)


class IssuesEventSerializer(serializers.Serializer):
    """An `issues` event, as GitHub's webhook events reference shows it."""

    action = Text()
    issue = IssueSerializer()
    repository = RepositorySerializer()


class ActionSerializer(serializers.Serializer):
    action = Text()


def delivery_id(headers, body: bytes) -> str:
    """X-GitHub-Delivery, as the log may show it (checked when the delivery is read)."""
    return (headers.get("x-github-delivery") or "")[:255]


def authenticate(integration: Integration, headers, body: bytes) -> None:
    """X-Hub-Signature-256 must be the body's HMAC under the integration's secret."""
    signatures.check_github_signature(headers.get("x-hub-signature-256", ""), integration.secret, body)


def read(integration: Integration, headers, body: bytes) -> Reading:
    """`issues` events as ticket events; `ping` and unhandled events or actions do nothing."""
    identifier = header_id(headers.get("x-github-delivery", ""), "X-GitHub-Delivery")
    kind = headers.get("x-github-event", "")
    if not kind:
        raise BadPayload({"X-GitHub-Event": ["This header is required."]}, identifier)
    payload = _payload(headers, body, identifier)
    if kind == "ping":
        return Reading(identifier, ping=True)
    if kind != "issues":
        return Reading(identifier, ignored=f"GitHub event {storable(kind)[:50]!r} is not handled")
    action = validated(ActionSerializer, payload, identifier)["action"]
    if action not in ACTIONS:
        return Reading(identifier, ignored=f"GitHub issues action {action[:50]!r} is not handled")
    data = validated(IssuesEventSerializer, payload, identifier)
    return Reading(identifier, (event(action, data),))


def _payload(headers, body: bytes, identifier: str):
    """The JSON document, from a JSON body or a form body's `payload` field."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            raise BadPayload({"detail": "The form body could not be read."}, identifier) from None
        if len(fields.get("payload", [])) != 1:
            raise BadPayload({"payload": ["A form body holds the event as one payload field."]}, identifier)
        body = fields["payload"][0].encode("utf-8")
    try:
        payload = parse_json(body)
    except BadPayload as bad:
        raise BadPayload(bad.errors, identifier) from None
    if not isinstance(payload, dict):
        raise BadPayload({"detail": "The body must be a JSON object (a GitHub webhook payload)."}, identifier)
    return payload


def event(action: str, data: dict) -> AlertEvent:
    """The ticket event of one `issues` event."""
    issue = data["issue"]
    external_id = f"{data['repository']['full_name']}#{issue['number']}"
    title, body = issue["title"], issue["body"] or ""
    if action == "closed":
        return AlertEvent(external_id, CLOSED)
    if action == "reopened":
        return AlertEvent(external_id, OPEN, reopens=ALWAYS)
    if action == "edited":
        changes = {"description": body}
        if cut(title, "title"):
            changes["title"] = cut(title, "title")
        return AlertEvent(external_id, None, changes=changes)
    return AlertEvent(
        external_id,
        OPEN,
        creates=new_ticket(
            external_id=external_id,
            title=title,
            fallback_title=f"GitHub issue {external_id}",
            description=body,
            priority="medium",
            url=issue["html_url"],
        ),
    )
