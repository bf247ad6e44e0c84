"""One attempt at a delivery: claim it, hold it past the channel's rate, send it, record the outcome.

The delivery row is the truth. A worker claims it with a conditional update
(another worker that got the same task finds it claimed and does nothing),
sends it, and writes the outcome only if its claim still stands. A claim
older than a minute counts as abandoned (the worker died), and the sweep
queues the delivery again: delivery is at least once, and the receiver can
drop repeats by the `webhook-id`, which is the delivery's id.
"""

import random
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications import messages, senders, signing
from notifications.models import Channel, Delivery

# A claim older than this is abandoned: an attempt takes 10 s at most.
ABANDONED_AFTER = timedelta(seconds=60)
RATE_WINDOW = timedelta(seconds=60)
OPEN = Delivery.OPEN_STATUSES
# Events that are never held past a channel's rate.
NEVER_HELD = (Delivery.Event.DIGEST, Delivery.Event.TEST)


def attempt(delivery_id: str) -> str:
    """Claim, send and record one attempt; returns `sent`, `retrying`, `failed`, `held` or `skipped`."""
    now = timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - ABANDONED_AFTER)
    claimed = Delivery.objects.filter(
        claimable, pk=delivery_id, status__in=OPEN, held=False, next_attempt_at__lte=now
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return "skipped"  # sent, failed, held, not yet due, or another worker has it
    delivery = Delivery.objects.select_related("channel").get(pk=delivery_id)
    if over_rate(delivery, now):
        Delivery.objects.filter(pk=delivery.pk, claimed_at=now).update(
            held=True, claimed_at=None, attempts=F("attempts") - 1
        )
        return "held"
    outcome = send(delivery)
    return record(delivery, outcome, claim=now)


class RecentSends:
    """How many messages each channel sent in the last minute, as this process last counted.

    Counting a channel's sends for every message would cost a query each at full speed, so
    each process counts at most once a second per channel and adds what it sent since. Other
    workers' sends show up at the next count: the limit bounds a storm, it is not exact.
    """

    REFRESH_SECONDS = 1.0

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[int, tuple[float, int]] = {}

    def count(self, channel: Channel, now) -> int:
        with self.lock:
            counted_at, count = self.counts.get(channel.pk, (float("-inf"), 0))
        if time.monotonic() - counted_at < self.REFRESH_SECONDS:
            return count
        recent = Delivery.objects.filter(channel=channel, sent_at__gte=now - RATE_WINDOW).exclude(
            event=Delivery.Event.DIGEST
        )
        count = recent[: channel.max_per_minute].count()  # no need to count past the limit
        with self.lock:
            self.counts[channel.pk] = (time.monotonic(), count)
        return count

    def add(self, channel_id: int) -> None:
        with self.lock:
            counted_at, count = self.counts.get(channel_id, (float("-inf"), 0))
            self.counts[channel_id] = (counted_at, count + 1)

    def clear(self) -> None:
        with self.lock:
            self.counts.clear()


recent_sends = RecentSends()


def over_rate(delivery: Delivery, now) -> bool:
    """True when the channel already sent `max_per_minute` messages in the last minute."""
    channel = delivery.channel
    if channel is None or delivery.event in NEVER_HELD:
        return False
    return recent_sends.count(channel, now) >= channel.max_per_minute


def send(delivery: Delivery) -> senders.Attempt:
    """Send the delivery's captured message once, the way its channel (or its addresses) takes it."""
    channel = delivery.channel
    payload = delivery.payload
    message = messages.message_for(payload, channel_name=delivery.channel_name)
    if channel is None:
        if delivery.channel_name:
            return senders.Attempt("failed", error=f"the channel {delivery.channel_name!r} was deleted")
        return senders.send_email(_addresses(delivery.recipients), message.subject, message.text)
    if not channel.active:
        return senders.Attempt("failed", error="the channel was switched off")
    if channel.kind == Channel.Kind.EMAIL:
        return senders.send_email(channel.addresses, message.subject, message.text)
    if channel.kind == Channel.Kind.SLACK:
        return senders.post_json(channel.target, _json(messages.slack_body(message)), {})
    if channel.kind == Channel.Kind.TEAMS:
        return senders.post_json(channel.target, _json(messages.teams_body(message)), {})
    # The body (with the time it was queued) is the same on every attempt; the signature is made
    # now, so that a retry an hour later still passes the receiver's five-minute timestamp check.
    timestamp = int(time.time())
    body = messages.webhook_body(payload, timestamp=delivery.created_at.isoformat())
    try:
        headers = signing.signature_headers(channel.secret, str(delivery.pk), timestamp, body)
    except ValueError as error:
        return senders.Attempt("failed", error=f"the channel's secret is unusable: {error}")
    return senders.post_json(channel.target, body, headers)


def _addresses(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _json(body: dict) -> bytes:
    import json

    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def backoff_seconds(attempts: int) -> float:
    """The wait before the next attempt: doubling from TRIAGE_NOTIFY_RETRY_SECONDS, with jitter.

    "Equal jitter": half the doubled wait, plus a random part of the other
    half, so that many deliveries failing together do not retry together.
    """
    base = settings.TRIAGE_NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    base = min(base, senders.MAX_RETRY_AFTER_SECONDS)
    return base / 2 + random.uniform(0, base / 2)


def record(delivery: Delivery, outcome: senders.Attempt, *, claim) -> str:
    """Write the attempt's outcome, if this worker's claim still stands; queue the next one if any."""
    from notifications.tasks import deliver

    now = timezone.now()
    values = {"claimed_at": None, "response_code": outcome.response_code, "last_error": outcome.error[:1000]}
    attempts = delivery.attempts
    if outcome.outcome == "sent":
        values |= {"status": Delivery.Status.SENT, "sent_at": now, "finished_at": now, "last_error": ""}
    elif outcome.outcome == "retry" and attempts < settings.TRIAGE_NOTIFY_MAX_ATTEMPTS:
        wait = outcome.retry_after if outcome.retry_after is not None else backoff_seconds(attempts)
        values |= {"status": Delivery.Status.RETRYING, "next_attempt_at": now + timedelta(seconds=wait)}
    else:
        if outcome.outcome == "retry":
            values["last_error"] = f"gave up after {attempts} attempts: {outcome.error}"[:1000]
        values |= {"status": Delivery.Status.FAILED, "finished_at": now}
    if values["status"] == Delivery.Status.SENT and delivery.channel_id is not None:
        recent_sends.add(delivery.channel_id)
    if values["status"] == Delivery.Status.SENT and delivery.event != Delivery.Event.DIGEST:
        # One statement: nothing else to write with it.
        written = Delivery.objects.filter(pk=delivery.pk, claimed_at=claim).update(**values)
        return "sent" if written == 1 else "skipped"
    with transaction.atomic():
        if values["status"] == Delivery.Status.RETRYING:
            values["task_id"] = (
                deliver.using(run_after=values["next_attempt_at"]).enqueue(str(delivery.pk)).id
            )
        written = Delivery.objects.filter(pk=delivery.pk, claimed_at=claim).update(**values)
        if written != 1:
            # The sweep took the delivery over (this attempt outlived its claim); its outcome stands.
            transaction.set_rollback(True)
            return "skipped"
        if delivery.event == Delivery.Event.DIGEST and values["status"] != Delivery.Status.RETRYING:
            Delivery.objects.filter(digest=delivery).update(
                status=values["status"], sent_at=values.get("sent_at"), finished_at=now,
                last_error="" if values["status"] == Delivery.Status.SENT else "its digest failed",
            )  # fmt: skip
    return str(values["status"])
