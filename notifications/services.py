"""Queueing notifications: the outbox row and its queue row, written in the caller's transaction.

Other apps call `queue_notification` (one message) or `queue_notifications`
(a batch); neither sends anything. The delivery row and the task that will
send it are inserted in the current transaction, so they commit with the
ticket write that caused them, or not at all.

    from notifications.services import queue_notification

    queue_notification(event="mention", ticket=ticket, to=["dana@example.com"], data={"text": "…"})
    queue_notification(event="anomaly", channel=channel, data={"anomaly": day})
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from notifications.models import Channel, Delivery
from notifications.queue import enqueue_many, insert_models


@dataclass(frozen=True)
class Notice:
    """One message to queue: to a channel (by id and name) or to addresses, about a ticket or not."""

    event: str
    channel_id: int | None = None
    channel_name: str = ""
    to: tuple[str, ...] = ()
    ticket: Mapping | None = None
    rule: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


def ticket_json(ticket) -> dict:
    """The ticket as the API renders it (captured now: every attempt sends this)."""
    from tickets.api.serializers import TicketSerializer

    return TicketSerializer().to_representation(ticket)


def queue_notification(
    *,
    event: str,
    channel: Channel | None = None,
    to: Iterable[str] = (),
    ticket=None,
    rule: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Delivery | None:
    """Queue one message: to `channel`, or by email to the addresses `to`; None when nobody gets it.

    `event` is one of Delivery.Event (`create`, `update`, `sla_at_risk`,
    `sla_breached`, `mention`, `anomaly`, `test`); `ticket` a Ticket (its
    JSON is captured now) or None; `rule` the rule's name, if a rule asked;
    `data` extra keys of the message's data (`anomaly`, `text`). An inactive
    channel gets nothing.
    """
    if channel is not None and not channel.active:
        return None
    addresses = tuple(address.strip() for address in to if address and address.strip())
    if channel is None and not addresses:
        return None
    notice = Notice(
        event=event,
        channel_id=channel.pk if channel is not None else None,
        channel_name=channel.name if channel is not None else "",
        to=addresses,
        ticket=ticket_json(ticket) if ticket is not None else None,
        rule=rule,
        data=dict(data or {}),
    )
    (delivery,) = queue_notifications([notice])
    return delivery


def queue_notifications(notices: Sequence[Notice], *, using: str = "default") -> list[Delivery]:
    """Insert a delivery and a queue row for each notice, in the current transaction (two statements)."""
    if not notices:
        return []
    from notifications.tasks import deliver

    now = timezone.now()
    ids = [uuid.uuid4() for _ in notices]
    # The queue rows first: each delivery row records which task will look at it.
    task_ids = enqueue_many(deliver, [(str(delivery_id),) for delivery_id in ids], using=using)
    deliveries = [
        Delivery(
            id=delivery_id,
            channel_id=notice.channel_id,
            channel_name=notice.channel_name,
            recipients=", ".join(notice.to),
            ticket_id=notice.ticket["id"] if notice.ticket is not None else None,
            event=notice.event,
            rule_name=notice.rule or "",
            payload={
                "ticket": dict(notice.ticket) if notice.ticket is not None else None,
                "rule": notice.rule,
                "event": notice.event,
                **notice.data,
            },
            next_attempt_at=now,
            created_at=now,
            task_id=task_id,
        )
        for notice, delivery_id, task_id in zip(notices, ids, task_ids, strict=True)
    ]
    insert_models(deliveries, using=using)
    for delivery in deliveries:
        delivery._state.adding, delivery._state.db = False, using
    return deliveries


def retry_delivery(delivery: Delivery) -> bool:
    """Queue a failed delivery again, attempts starting over; False (nothing queued) when it is not failed."""
    from notifications.tasks import deliver

    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None,
            finished_at=None, last_error="", response_code=None,
        )  # fmt: skip
        if updated != 1:
            return False
        task = deliver.enqueue(str(delivery.pk))
        Delivery.objects.filter(pk=delivery.pk).update(task_id=task.id)
    return True
