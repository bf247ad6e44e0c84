"""Automation rules (data, edited in admin) and their log."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from automation import engine
from tickets.fields import PRIORITIES, Priority


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


# An integration's name is part of its senders' URL (`/webhook/<source>/<name>`).
INTEGRATION_NAME_PATTERN = r"\A[A-Za-z0-9_-]+\Z"
integration_name_validator = RegexValidator(
    INTEGRATION_NAME_PATTERN,
    "Use only letters, digits, - and _: the name is part of the sender's URL.",
)
# Alertmanager's `severity` label to ticket priority, unless an integration says otherwise.
DEFAULT_SEVERITY_PRIORITIES = {"critical": "high", "page": "high", "warning": "medium"}


class IntegrationKind(models.TextChoices):
    """What sends to an integration: the standard webhook's signers, or a source with its own format."""

    STANDARD = "standard", "Standard Webhooks (POST /webhook/ticket)"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GITHUB = "github", "GitHub issues"
    PAGERDUTY = "pagerduty", "PagerDuty incidents"


KINDS: tuple[str, ...] = tuple(IntegrationKind.values)


def default_severity_priorities() -> dict[str, str]:
    """A fresh copy of the default mapping (a JSONField default must be a callable)."""
    return dict(DEFAULT_SEVERITY_PRIORITIES)


class Integration(models.Model):
    """An external system that sends tickets: through the signed webhook, or in its own format.

    The secret is kept as given: verifying a signature or a token needs it
    itself, so it cannot be stored hashed. Admins see it once, when it is
    made or rotated. What it is depends on the kind: a `whsec_` secret
    (standard), the bearer token Alertmanager sends, or the HMAC secret
    GitHub or PagerDuty sign with.
    """

    Kind = IntegrationKind

    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[integration_name_validator],
        help_text="Letters, digits, - and _: senders other than the standard webhook post to "
        "/webhook/<kind>/<name>.",
    )
    kind = models.CharField(
        max_length=12,
        choices=IntegrationKind,
        default=IntegrationKind.STANDARD,
        help_text="What the sender is: it decides the URL, how requests are signed and how they are read.",
    )
    secret = models.CharField(
        max_length=200,
        help_text="The signing secret (whsec_... for the standard webhook) or Alertmanager's bearer token.",
    )
    active = models.BooleanField(default=True, help_text="An inactive integration's signatures never verify.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(default=timezone.now, editable=False)
    severity_priorities = models.JSONField(
        default=default_severity_priorities,
        blank=True,
        help_text="Alertmanager only: the priority of an alert by its severity label (compared "
        "case-insensitively).",
    )
    other_severity_priority = models.CharField(
        max_length=6,
        choices=Priority,
        default=Priority.LOW,
        help_text="Alertmanager only: the priority of an alert whose severity is not in the mapping.",
    )

    class Meta:
        db_table = "automation_integrations"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=KINDS), name="integration_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(other_severity_priority__in=PRIORITIES),
                name="integration_other_severity_priority_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell two apart, not enough to use it."""
        if not self.secret:
            return ""
        prefix = "whsec_" if self.secret.startswith("whsec_") else ""
        return f"{prefix}…{self.secret[-4:]}"

    @property
    def path(self) -> str:
        """Where this integration's senders post."""
        if self.kind == IntegrationKind.STANDARD:
            return "/webhook/ticket"
        return f"/webhook/{self.kind}/{self.name}"

    def priority_for_severity(self, severity: str) -> str:
        """The ticket priority of an Alertmanager alert with this `severity` label."""
        wanted = severity.strip().casefold()
        for name, priority in (self.severity_priorities or {}).items():
            if name.strip().casefold() == wanted and priority in PRIORITIES:
                return priority
        return self.other_severity_priority


class WebhookDelivery(models.Model):
    """One request to a webhook, accepted or not: what an operator reads to see why a ticket is missing.

    The body itself is not kept (it may be large, or not ours to keep); its
    size and SHA-256 are, so a sender can match a delivery to what it sent.
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REPLAYED = "replayed", "Replayed (repeat of an accepted delivery id)"
        IGNORED = "ignored", "Ignored (an event or action the source does not handle)"
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
    source = models.CharField(
        max_length=12,
        choices=IntegrationKind,
        blank=True,
        default=IntegrationKind.STANDARD,
        help_text="The webhook it came to: standard (/webhook/ticket) or an alert source; empty for an "
        "unknown source.",
    )
    webhook_id = models.CharField(
        "delivery id",
        max_length=255,
        blank=True,
        default="",
        help_text="The source's own id of the delivery, its idempotency key: webhook-id, X-GitHub-Delivery, "
        "PagerDuty's event.id, or the SHA-256 of an Alertmanager body.",
    )
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
    answer = models.JSONField(
        null=True,
        blank=True,
        help_text="Alert sources: the tickets the delivery created, updated and left unchanged.",
    )

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
            # of one delivery id, the database lets exactly one be accepted.
            # Rejected, ignored and replayed rows never reserve the id.
            models.UniqueConstraint(
                fields=["integration", "webhook_id"],
                condition=models.Q(outcome="accepted"),
                name="webhook_delivery_accepted_once",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["accepted", "replayed", "ignored", "rejected"]),
                name="webhook_delivery_outcome_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=["", *KINDS]), name="webhook_delivery_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.webhook_id or '(no id)'} at {self.received_at:%Y-%m-%d %H:%M:%S}"
