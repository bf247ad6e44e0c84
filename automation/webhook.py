"""`/webhook/ticket`: verify the signature, create once per webhook-id, log every delivery.

The view reads the request and answers; everything a delivery does to the
database happens here. Each delivery leaves exactly one `WebhookDelivery`
row, whatever its outcome, so an operator can see why a sender's ticket is
missing (alert sources, in the `intake` app, log theirs with `record` and
`reject` too). Idempotency rests on a unique constraint (one *accepted* row per
integration and webhook-id), so it holds when repeats arrive at once.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from automation import signatures

# Callers of the webhook's module make their integrations with it too.
from automation.integrations import integration_save_secret  # noqa: F401
from automation.models import Integration, IntegrationKind, WebhookDelivery
from automation.serializers import WebhookTicketSerializer
from tickets import services
from tickets.api.serializers import TicketSerializer
from tickets.audit import Actor
from tickets.models import Ticket

Outcome = WebhookDelivery.Outcome
# The largest body size the log can hold (a PositiveIntegerField); a refused body may claim more.
MAX_SIZE = 2**31 - 1


@dataclass
class Envelope:
    """What arrived: the headers that matter (lower-case names), the raw body, the peer's address.

    `source` is the webhook it came to (`standard` for `/webhook/ticket`, or
    an alert source's name; empty when the source is unknown) and
    `delivery_id` the sender's own id of the delivery, when the source has
    one; the standard webhook's is its `webhook-id` header.
    """

    headers: Mapping[str, str]
    body: bytes
    remote_addr: str | None = None
    body_bytes: int | None = None  # when the body was refused unread, the size it announced
    source: str = IntegrationKind.STANDARD
    delivery_id: str | None = None
    signed: signatures.SignedHeaders | None = field(default=None, init=False)

    @property
    def webhook_id(self) -> str:
        """The delivery id as logged (at most 255 characters)."""
        if self.delivery_id is not None:
            return self.delivery_id[:255]
        return self.signed.webhook_id if self.signed else (self.headers.get("webhook-id") or "")[:255]


@dataclass
class Answer:
    """The HTTP answer to a delivery and the row that logged it."""

    status_code: int
    data: dict
    delivery: WebhookDelivery


def record(
    envelope: Envelope,
    outcome: str,
    status_code: int,
    reason: str = "",
    *,
    integration: Integration | None = None,
    ticket_id: int | None = None,
    answer: dict | None = None,
) -> WebhookDelivery:
    """Log one delivery (the body's size and hash, never the body itself)."""
    signed_at = None
    timestamp = envelope.signed.timestamp if envelope.signed else None
    if timestamp is not None:
        signed_at = datetime.fromtimestamp(timestamp, tz=UTC)
    return WebhookDelivery.objects.create(
        integration=integration,
        source=envelope.source,
        webhook_id=envelope.webhook_id,
        outcome=outcome,
        status_code=status_code,
        reason=reason[:1000],
        ticket_id=ticket_id,
        signed_at=signed_at,
        body_bytes=min(len(envelope.body) if envelope.body_bytes is None else envelope.body_bytes, MAX_SIZE),
        body_sha256=hashlib.sha256(envelope.body).hexdigest() if envelope.body else "",
        remote_addr=envelope.remote_addr or None,
        answer=answer,
    )


def reject(envelope: Envelope, status_code: int, reason: str, data: dict, integration=None) -> Answer:
    """Log a rejected delivery; nothing else is written and its delivery id stays free."""
    delivery = record(envelope, Outcome.REJECTED, status_code, reason, integration=integration)
    return Answer(status_code, data, delivery)


class Unverified(Exception):
    """A delivery whose signature did not verify; `reason` and, when known, the inactive sender."""

    def __init__(self, reason: str, integration: Integration | None = None):
        super().__init__(reason)
        self.reason = reason
        self.integration = integration


def identify(envelope: Envelope) -> Integration:
    """The active integration whose secret signed this delivery; Unverified when none did.

    Each active standard integration's secret is tried (alert sources have
    URLs of their own and never sign this webhook). A delivery signed with an
    inactive integration's secret is still refused, but the log names that
    integration, which is what its operator needs to know.
    """
    try:
        envelope.signed = signatures.parse_headers(envelope.headers)
    except signatures.SignatureError as error:
        raise Unverified(error.reason) from None
    try:
        return signatures.match(envelope.signed, envelope.body, _keys(active=True))
    except signatures.SignatureError as error:
        try:
            inactive = signatures.match(envelope.signed, envelope.body, _keys(active=False))
        except signatures.SignatureError:
            raise Unverified(error.reason) from None
        raise Unverified(
            f"signed with the secret of inactive integration {inactive.name!r}", inactive
        ) from None


def _keys(*, active: bool) -> list[tuple[Integration, bytes]]:
    """(integration, key) pairs of standard integrations; a secret that cannot be decoded is skipped."""
    pairs = []
    standard = Integration.objects.filter(active=active, kind=IntegrationKind.STANDARD)
    for integration in standard.only("id", "name", "secret"):
        try:
            pairs.append((integration, signatures.decode_secret(integration.secret)))
        except signatures.SecretError:
            continue
    return pairs


def accept(envelope: Envelope, integration: Integration) -> Answer:
    """Create the ticket of a verified delivery, or replay the first answer for a repeated webhook-id."""
    first = _first_acceptance(integration, envelope.webhook_id)
    if first is not None:
        return _replay(envelope, integration, first)
    payload, errors = _payload(envelope.body)
    if errors:
        return reject(envelope, 400, f"invalid payload: {_summary(errors)}", errors, integration)
    try:
        with transaction.atomic():
            ticket = services.ticket_create(
                actor=Actor.for_integration(integration), source="webhook", **payload
            )
            delivery = record(envelope, Outcome.ACCEPTED, 201, integration=integration, ticket_id=ticket.pk)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
        return reject(envelope, 400, f"invalid payload: {_summary(errors)}", errors, integration)
    except IntegrityError:
        # Another request with this webhook-id was accepted while this one
        # was being written; the constraint refused this one, whose ticket
        # was rolled back with it.
        first = _first_acceptance(integration, envelope.webhook_id)
        if first is None:
            raise
        return _replay(envelope, integration, first)
    return Answer(201, TicketSerializer(ticket).data, delivery)


def _first_acceptance(integration: Integration, webhook_id: str) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.filter(
            integration=integration, webhook_id=webhook_id, outcome=Outcome.ACCEPTED
        )
        .only("id", "ticket_id", "body_sha256")
        .order_by()  # at most one row (the constraint); no sort needed
        .first()
    )


def _replay(envelope: Envelope, integration: Integration, first: WebhookDelivery) -> Answer:
    """200 with the ticket the first delivery made (as it is now); creates nothing."""
    reason = f"repeat of delivery #{first.pk}"
    if first.body_sha256 != hashlib.sha256(envelope.body).hexdigest():
        reason += "; the body differs from the first delivery's (the first one counts)"
    ticket = Ticket.objects.filter(pk=first.ticket_id).first()
    if ticket is None:
        reason += f"; ticket #{first.ticket_id} has since been deleted"
        data = {
            "id": first.ticket_id,
            "detail": "This webhook-id was accepted before; its ticket was deleted.",
        }
    else:
        data = TicketSerializer(ticket).data
    delivery = record(
        envelope, Outcome.REPLAYED, 200, reason, integration=integration, ticket_id=first.ticket_id
    )
    return Answer(200, data, delivery)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _payload(body: bytes) -> tuple[dict, dict]:
    """The validated ticket fields, or DRF-shaped errors (`detail` when the body is not JSON)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        return {}, {"detail": "The body is not UTF-8 text."}
    except ValueError as error:
        return {}, {"detail": f"JSON parse error - {error}"}
    except RecursionError:
        return {}, {"detail": "JSON parse error - the document is nested too deeply."}
    serializer = WebhookTicketSerializer(data=data)
    if not serializer.is_valid():
        return {}, _plain(serializer.errors)
    return dict(serializer.validated_data), {}


def _plain(errors) -> dict:
    """DRF's ErrorDetail lists as plain strings, for the answer and the log."""
    return {name: [str(message) for message in messages] for name, messages in errors.items()}


def _summary(errors: Mapping) -> str:
    """One line for the delivery log: `title: This field is required.; priority: ...`."""
    parts = []
    for name, messages in errors.items():
        text = messages if isinstance(messages, str) else " ".join(map(str, messages))
        parts.append(f"{name}: {text}")
    return "; ".join(parts)
