"""Channels (where messages go), deliveries (each message and its fate), and the worker's own rows."""

import uuid

from django.db import models
from django.utils import timezone


class Channel(models.Model):
    """A place notifications are sent: email addresses, a Slack or Teams webhook, or a signed webhook.

    A URL target is a credential (it authorises posting), and so is a
    webhook's secret: the API shows the whole URL to admins only and never
    returns the secret.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack incoming webhook"
        TEAMS = "teams", "Microsoft Teams workflow"
        WEBHOOK = "webhook", "Webhook (Standard Webhooks, signed)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=7, choices=Kind)
    target = models.CharField(
        max_length=2000, help_text="Comma-separated addresses for email; the URL otherwise."
    )
    secret = models.CharField(max_length=200, blank=True, default="", help_text="whsec_…, webhooks only.")
    active = models.BooleanField(default=True, help_text="An inactive channel gets nothing.")
    anomaly_alerts = models.BooleanField(default=False, help_text="Receives volume-anomaly alerts.")
    max_per_minute = models.PositiveIntegerField(
        default=30, help_text="Beyond this many messages in a minute, the rest go out as one digest."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notification_channels"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["email", "slack", "teams", "webhook"]), name="channel_kind_valid"
            ),
            models.CheckConstraint(condition=models.Q(max_per_minute__gte=1), name="channel_rate_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_url(self) -> bool:
        return self.kind != self.Kind.EMAIL

    @property
    def addresses(self) -> list[str]:
        """The email addresses of an email channel."""
        return [item.strip() for item in self.target.split(",") if item.strip()]


class Delivery(models.Model):
    """One message to one channel (or to addresses, for a mention): the outbox row, and the truth.

    The queue only says "look at delivery X now"; this row says what was
    sent, how often it was tried, and what happens next. Its id is the
    Standard Webhooks `webhook-id`, the same on every attempt. The message
    (`payload`) is captured when the delivery is queued: every attempt sends
    the same body.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Event(models.TextChoices):
        CREATE = "create", "Ticket created"
        UPDATE = "update", "Ticket updated"
        SLA_AT_RISK = "sla_at_risk", "SLA at risk"
        SLA_BREACHED = "sla_breached", "SLA breached"
        MENTION = "mention", "Mention"
        ANOMALY = "anomaly", "Volume anomaly"
        TEST = "test", "Test message"
        DIGEST = "digest", "Digest of held messages"

    OPEN_STATUSES = (Status.PENDING, Status.RETRYING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(
        Channel, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries", db_index=False
    )
    # The channel's name when queued (kept when the channel is renamed or deleted), and the
    # addresses of a message sent to people rather than to a channel (mentions).
    channel_name = models.CharField(max_length=100, blank=True, default="")
    recipients = models.CharField(max_length=2000, blank=True, default="")
    ticket_id = models.BigIntegerField(null=True, blank=True)
    event = models.CharField(max_length=12, choices=Event)
    rule_name = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField(help_text="The message as captured when queued: ticket JSON, rule, event.")
    status = models.CharField(max_length=8, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Set while a worker is sending it; a claim older than a minute is abandoned (the worker died).
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The queue row that will look at it next; the sweep re-queues when that row is gone or dead.
    task_id = models.UUIDField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True, default="")
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it was sent or given up.")
    # Held past the channel's rate; sent as part of this digest.
    held = models.BooleanField(default=False)
    digest = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="held_deliveries",
        db_index=False,  # the partial index on held rows serves it
    )

    class Meta:
        db_table = "notification_deliveries"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The log, newest first, and its filters.
            models.Index(fields=["created_at"], name="delivery_created_idx"),
            models.Index(fields=["ticket_id"], name="delivery_ticket_idx"),
            # The dashboard's "last 24 hours" and the rate of a channel: index ranges, not scans.
            # Partial, so that queueing a message (in the request) adds no entry to them: the
            # worker's update that finishes it does.
            models.Index(
                fields=["finished_at", "status"],
                name="delivery_finished_idx",
                condition=models.Q(finished_at__isnull=False),
            ),
            models.Index(
                fields=["channel", "sent_at"],
                name="delivery_channel_sent_idx",
                condition=models.Q(sent_at__isnull=False),
            ),
            # Held messages waiting for their digest: few rows, a small index.
            models.Index(
                fields=["digest", "channel"], name="delivery_held_idx", condition=models.Q(held=True)
            ),
            # The sweep: open deliveries by when they are due.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_open_idx",
                condition=models.Q(status__in=["pending", "retrying"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "retrying", "sent", "failed"]),
                name="delivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        where = self.channel_name or self.recipients or "?"
        return f"{self.event} to {where} ({self.status})"


class WorkerBeat(models.Model):
    """A worker's heartbeat: one row per worker process, updated by that worker alone."""

    worker_id = models.CharField(max_length=100, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "notification_worker_beats"
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return self.worker_id


class PeriodicRun(models.Model):
    """One run of a periodic job in one period: the insert that claims it, across every worker."""

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    worker_id = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        db_table = "notification_periodic_runs"
        ordering = ["-started_at"]
        constraints = [
            # At most once per period across all workers: the second insert fails.
            models.UniqueConstraint(fields=["job", "period_start"], name="periodic_run_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.period_start:%Y-%m-%d %H:%M:%S}"
