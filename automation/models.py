"""Automation rules (data, edited in admin) and their log."""

from django.db import models
from django.utils import timezone

from automation import engine


class Rule(models.Model):
    """An automation rule: when its trigger and conditions match, its actions set fields."""

    class Trigger(models.TextChoices):
        CREATE = "create", "On create"
        UPDATE = "update", "On update"
        BOTH = "both", "On create and update"
        SLA_AT_RISK = "sla_at_risk", "When the SLA is at risk"
        SLA_BREACHED = "sla_breached", "When the SLA is breached"

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    name = models.CharField(max_length=100, unique=True)
    position = models.IntegerField(default=100, help_text="Rules run in ascending position (then by id).")
    enabled = models.BooleanField(default=True)
    trigger = models.CharField(max_length=12, choices=Trigger, default=Trigger.BOTH)
    match = models.CharField(max_length=3, choices=Match, default=Match.ALL)
    stop_processing = models.BooleanField(
        default=False, help_text="When this rule fires, no further rule runs in that save."
    )
    description = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "automation_rules"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> engine.RuleSpec:
        """The rule as immutable engine data (uses prefetched conditions, and actions with their channels).

        A notify action to an inactive channel is left out: that channel gets nothing.
        """
        actions = list(self.actions.all())
        return engine.RuleSpec(
            id=self.pk,
            name=self.name,
            position=self.position,
            trigger=self.trigger,
            match=self.match,
            conditions=tuple(c.spec() for c in self.conditions.all()),
            actions=tuple(a.spec() for a in actions if a.kind == RuleAction.Kind.SET),
            stop_processing=self.stop_processing,
            enabled=self.enabled,
            notify=tuple(
                a.channel.name for a in actions if a.kind == RuleAction.Kind.NOTIFY and a.channel.active
            ),
        )


FIELD_CHOICES = [(name, name) for name in engine.CONDITION_FIELDS]
ACTION_FIELD_CHOICES = [(name, name) for name in engine.ACTION_FIELDS]
OPERATOR_CHOICES = [(op, op.replace("_", " ")) for op in engine.OPERATORS]


class RuleCondition(models.Model):
    """One condition of a rule, e.g. `priority changed_to high`."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=20, choices=FIELD_CHOICES)
    operator = models.CharField(max_length=15, choices=OPERATOR_CHOICES)
    value = models.CharField(
        max_length=200, blank=True, default="", help_text="For in / not in: comma-separated."
    )

    class Meta:
        db_table = "automation_rule_conditions"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field} {self.get_operator_display()} {self.value}".strip()

    def spec(self) -> engine.Condition:
        value: str | tuple[str, ...] = self.value
        if self.operator in engine.LIST_OPERATORS:
            value = tuple(item.strip() for item in self.value.split(",") if item.strip())
        return engine.Condition(self.field, self.operator, value)


class RuleAction(models.Model):
    """One action of a rule: set a field to a value, or notify a channel."""

    class Kind(models.TextChoices):
        SET = "set", "Set a field"
        NOTIFY = "notify", "Notify a channel"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=6, choices=Kind, default=Kind.SET)
    field = models.CharField(max_length=20, choices=ACTION_FIELD_CHOICES, blank=True, default="")
    value = models.CharField(max_length=100, blank=True, default="")
    # PROTECT: a channel that a rule names cannot be deleted (the API answers 409).
    channel = models.ForeignKey(
        "notifications.Channel", on_delete=models.PROTECT, null=True, blank=True, related_name="rule_actions"
    )

    class Meta:
        db_table = "automation_rule_actions"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="set", channel__isnull=True)
                | models.Q(kind="notify", channel__isnull=False, field=""),
                name="rule_action_kind_matches",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.NOTIFY:
            return f"notify {self.channel}"
        return f"set {self.field} = {self.value!r}"

    def spec(self) -> engine.Action:
        return engine.Action(self.field, self.value.strip())


class AutomationLog(models.Model):
    """One firing of a rule on a ticket: append-only.

    Rule and ticket are kept as plain ids plus the rule's name at the time, so
    the log survives a deleted rule or ticket.
    """

    rule_id = models.BigIntegerField(db_index=True)
    rule_name = models.CharField(max_length=100)
    ticket_id = models.BigIntegerField(db_index=True)
    save_id = models.UUIDField(help_text="Firings of the same ticket save share this id.")
    changes = models.JSONField(help_text='{"field": [old, new], ...}')
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "automation_logs"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.rule_name} on #{self.ticket_id}"


class Integration(models.Model):
    """An external system that creates tickets through the signed webhook.

    The secret is kept as given (`whsec_<base64>`): verifying a signature
    needs the key itself, so it cannot be stored hashed. Admins see it once,
    when it is made or rotated.
    """

    name = models.CharField(max_length=100, unique=True)
    secret = models.CharField(max_length=200, help_text="whsec_ followed by the base64 of the key.")
    active = models.BooleanField(default=True, help_text="An inactive integration's signatures never verify.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "automation_integrations"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell two apart, not enough to use it."""
        return f"whsec_…{self.secret[-4:]}" if self.secret else ""


class WebhookDelivery(models.Model):
    """One request to the webhook, accepted or not: what an operator reads to see why a ticket is missing.

    The body itself is not kept (it may be large, or not ours to keep); its
    size and SHA-256 are, so a sender can match a delivery to what it sent.
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted (ticket created)"
        REPLAYED = "replayed", "Replayed (repeat of an accepted webhook-id)"
        REJECTED = "rejected", "Rejected"

    integration = models.ForeignKey(
        Integration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,  # the (integration, received_at) index below serves it
        help_text="Empty when no active integration's secret verified the signature.",
    )
    webhook_id = models.CharField(max_length=255, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=8, choices=Outcome)
    status_code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=1000, blank=True, default="")
    ticket_id = models.BigIntegerField(null=True, blank=True)
    signed_at = models.DateTimeField(
        null=True, blank=True, help_text="The sender's webhook-timestamp, to spot clock skew."
    )
    body_bytes = models.PositiveIntegerField(default=0)
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        db_table = "automation_webhook_deliveries"
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["received_at"], name="webhook_delivery_received_idx"),
            models.Index(fields=["integration", "received_at"], name="webhook_delivery_sender_idx"),
            models.Index(fields=["outcome", "received_at"], name="webhook_delivery_outcome_idx"),
        ]
        constraints = [
            # Idempotency under concurrency: of sixteen simultaneous deliveries
            # of one webhook-id, the database lets exactly one be accepted.
            # Rejected and replayed rows never reserve the id.
            models.UniqueConstraint(
                fields=["integration", "webhook_id"],
                condition=models.Q(outcome="accepted"),
                name="webhook_delivery_accepted_once",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["accepted", "replayed", "rejected"]),
                name="webhook_delivery_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.webhook_id or '(no id)'} at {self.received_at:%Y-%m-%d %H:%M:%S}"
