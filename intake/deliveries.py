"""One delivery from an alert source, from its integration to its answer: every outcome logged.

The view finds the source and the integration, then calls `authenticate`
and `accept`; everything a delivery writes happens here and in
`intake.sync`. Each delivery leaves one `WebhookDelivery` row (the log the
standard webhook keeps too) with its source, its delivery id and its
outcome. An accepted delivery's row is written in the transaction of its
ticket changes, and the log's unique constraint (one accepted row per
integration and delivery id) makes a repeat, even a simultaneous one, a
replay that changes nothing.
"""

from types import ModuleType

from django.db import IntegrityError, transaction

from automation.models import Integration, WebhookDelivery
from automation.webhook import Answer, Envelope, record, reject
from intake import payloads, sync
from intake.events import BadPayload, Unverified

Outcome = WebhookDelivery.Outcome
EMPTY = {"created": [], "updated": [], "unchanged": []}


def find_integration(source: str, name: str) -> Integration | None:
    """The integration of this source with this name (of another kind, or unknown: None)."""
    return Integration.objects.filter(kind=source, name=name).first()


def authenticate(source: ModuleType, integration: Integration, envelope: Envelope) -> None:
    """Raise Unverified unless the integration is active and the request is signed as its sender signs."""
    if not integration.active:
        raise Unverified(f"integration {integration.name!r} is inactive")
    source.authenticate(integration, envelope.headers, envelope.body)


def accept(source: ModuleType, integration: Integration, envelope: Envelope) -> Answer:
    """Read a verified delivery and apply it, or replay the answer to its first delivery."""
    checked = envelope.delivery_id
    if checked:  # known before reading (a header, the body's hash): a repeat is not read again
        first = first_acceptance(integration, checked)
        if first is not None:
            return replay(envelope, integration, first)
    try:
        reading = source.read(integration, envelope.headers, envelope.body)
    except BadPayload as bad:
        if bad.delivery_id is not None:
            envelope.delivery_id = bad.delivery_id
        reason = f"invalid payload: {payloads.summary(bad.errors)}"
        return reject(envelope, 400, reason, bad.errors, integration)
    envelope.delivery_id = reading.delivery_id
    if reading.delivery_id != checked:  # PagerDuty's is inside the body
        first = first_acceptance(integration, reading.delivery_id)
        if first is not None:
            return replay(envelope, integration, first)
    if reading.ignored:
        delivery = record(envelope, Outcome.IGNORED, 202, reading.ignored, integration=integration)
        return Answer(202, {"detail": f"{reading.ignored}; nothing changed.", **EMPTY}, delivery)
    try:
        with transaction.atomic():
            if reading.ping:
                result = sync.Result()
                reason = "ping"
            else:
                result = sync.apply_events(integration, reading.events)
                reason = result.summary()
            answer = result.answer()
            status = 201 if result.created else 200
            tickets = set(result.created + result.updated + result.unchanged)
            delivery = record(
                envelope,
                Outcome.ACCEPTED,
                status,
                reason,
                integration=integration,
                ticket_id=next(iter(tickets)) if len(tickets) == 1 else None,
                answer=answer,
            )
    except IntegrityError:
        # The same delivery was accepted while this one was being applied: the constraint refused
        # this one, and its changes were rolled back with it.
        first = first_acceptance(integration, reading.delivery_id)
        if first is None:
            raise
        return replay(envelope, integration, first)
    return Answer(status, answer, delivery)


def first_acceptance(integration: Integration, delivery_id: str) -> WebhookDelivery | None:
    """The accepted delivery with this id, if any (at most one: the constraint)."""
    return (
        WebhookDelivery.objects.filter(
            integration=integration, webhook_id=delivery_id, outcome=Outcome.ACCEPTED
        )
        .only("id", "answer")
        .order_by()
        .first()
    )


def replay(envelope: Envelope, integration: Integration, first: WebhookDelivery) -> Answer:
    """200: nothing changed this time; the tickets of the first delivery are listed as unchanged."""
    first_answer = first.answer or {}
    tickets = [ticket_id for key in EMPTY for ticket_id in first_answer.get(key) or []]
    delivery = record(
        envelope, Outcome.REPLAYED, 200, f"repeat of delivery #{first.pk}", integration=integration
    )
    return Answer(200, {"created": [], "updated": [], "unchanged": tickets}, delivery)
