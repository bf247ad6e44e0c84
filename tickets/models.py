"""Tickets and their append-only audit trail."""

from collections.abc import Collection
from operator import attrgetter

from django.conf import settings
from django.db import models, router
from django.db.models import F
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from tickets import fields, invariants
from tickets.audit import EVENT_KINDS, SOURCES
from tickets.expressions import TrimWhitespace
from tickets.fields import MAX_LENGTHS, TRACKED_FIELDS
from tickets.integrity import BROKEN_ROW, assignee_key

_tracked_values = attrgetter(*TRACKED_FIELDS)


class VersionConflict(Exception):
    """A write based on another version of the ticket than the stored one: a lost update averted."""

    def __init__(self, ticket_id: int, *, expected: Collection[int], current: int):
        super().__init__(f"ticket #{ticket_id} is at version {current}, not one of {sorted(expected)}")
        self.ticket_id = ticket_id
        self.expected = frozenset(expected)
        self.current = current


class TicketQuerySet(models.QuerySet):
    """Tickets; deleting a queryset goes through the write pipeline like any other delete."""

    def delete(self):
        """Delete the selected tickets, audited and counted out of the dashboard as one batch."""
        from tickets.pipeline import TicketChange, write_tickets

        ids = list(self.order_by("pk").values_list("pk", flat=True))
        write_tickets([TicketChange.delete(ticket_id) for ticket_id in ids], using=self.db)
        return len(ids), {Ticket._meta.label: len(ids)}

    delete.alters_data = True
    delete.queryset_only = True


class Ticket(models.Model):
    """A support or incident ticket.

    Every write goes through `tickets.pipeline.write_tickets`: `save()` and
    `delete()` are batches of one.
    """

    Status = fields.Status
    Priority = fields.Priority
    Source = fields.Source

    title = models.CharField(max_length=MAX_LENGTHS["title"])
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=11, choices=Status, default=Status.OPEN)
    priority = models.CharField(max_length=6, choices=Priority, default=Priority.MEDIUM)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(
        default=timezone.now, editable=False, help_text="When a tracked field last changed."
    )
    assigned_to = models.CharField(max_length=MAX_LENGTHS["assigned_to"], blank=True, default="")
    source = models.CharField(max_length=7, choices=Source, default=Source.SYSTEM, editable=False)
    external_id = models.CharField(
        max_length=MAX_LENGTHS["external_id"],
        blank=True,
        default="",
        help_text="The sender's own id for this ticket.",
    )
    external_url = models.CharField(
        max_length=MAX_LENGTHS["external_url"],
        blank=True,
        default="",
        db_default="",  # rows written by raw SQL that predates the column still insert
        help_text="A link back to the sender's page for this ticket.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    closed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was last closed; empty while not closed."
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        db_table = "tickets"
        ordering = ["-created_at", "-id"]
        indexes = [
            # Newest first is the default order of the API, the admin and the feed.
            models.Index(fields=["created_at", "id"], name="tickets_created_idx"),
            models.Index(fields=["status", "created_at"], name="tickets_status_created_idx"),
            models.Index(fields=["priority", "created_at"], name="tickets_priority_created_idx"),
            models.Index(fields=["assigned_to", "created_at"], name="tickets_assignee_created_idx"),
            # The regression suite looks for stale closed tickets.
            models.Index(fields=["status", "updated_at"], name="tickets_status_updated_idx"),
            # The regression suite's routing checks (low tickets in progress without a proper
            # assignee, high tickets unassigned) look up the normalized assignee here.
            models.Index(F("priority"), F("status"), assignee_key(), name="tickets_routing_idx"),
            # Rows that broke a stored-row invariant. Healthy data leaves this partial
            # index empty, so the data_consistency check reads nothing instead of every row.
            models.Index(fields=["id"], condition=BROKEN_ROW, name="tickets_broken_rows_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=fields.STATUSES), name="tickets_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=fields.PRIORITIES), name="tickets_priority_valid"
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(TrimWhitespace("title")), 0),
                name="tickets_title_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def save(self, *args, using=None, update_fields=None, expected_versions=None, **kwargs) -> None:
        """Write the ticket through the write pipeline (a batch of one); rules and audit apply.

        A new ticket is created with the tracked fields it holds; a stored
        one is updated with them (only those in `update_fields`, when given:
        the others keep their stored values). With `expected_versions` (the
        version the caller read; HTTP's If-Match may name several), the write
        goes ahead only if the stored row is at one of them, and raises
        VersionConflict otherwise. The object is refreshed with the row as
        stored (the rules' changes included).
        """
        from tickets.pipeline import TicketChange, write_tickets

        using = using or router.db_for_write(Ticket, instance=self)
        if self._state.adding:
            change = TicketChange.create(self.state(), ticket_id=self.pk, when=self.created_at)
        else:
            names = [name for name in TRACKED_FIELDS if update_fields is None or name in update_fields]
            change = TicketChange.update(
                self.pk, {name: getattr(self, name) for name in names}, expected_versions=expected_versions
            )
        (write,) = write_tickets([change], using=using)
        self.take_values_of(write.ticket)
        self._state.adding = False
        self._state.db = using

    def delete(self, using=None, keep_parents=False, expected_versions: Collection[int] | None = None):
        """Delete the ticket through the write pipeline; its audit trail is kept and records it."""
        from tickets.pipeline import TicketChange, write_tickets

        using = using or router.db_for_write(Ticket, instance=self)
        write_tickets([TicketChange.delete(self.pk, expected_versions=expected_versions)], using=using)
        return 1, {Ticket._meta.label: 1}

    def clean(self) -> None:
        """Model validation for forms: the field values and the assignment rule."""
        self.normalize()
        stored = None
        if not self._state.adding:
            stored = Ticket.objects.filter(pk=self.pk).values(*TRACKED_FIELDS).first()
        invariants.check_ticket(self.state(), stored)

    def take_values_of(self, other: "Ticket") -> None:
        """Copy every column's value from `other` (the same ticket as the pipeline stored it)."""
        for column in self._meta.concrete_fields:
            setattr(self, column.attname, getattr(other, column.attname))

    def state(self) -> dict:
        """The tracked field values, as the rules and the audit trail see them."""
        return dict(zip(TRACKED_FIELDS, _tracked_values(self), strict=True))

    def normalize(self) -> None:
        """Trim the free-text names so that " Bob " and "Bob" are one assignee."""
        self.title = (self.title or "").strip()
        self.assigned_to = (self.assigned_to or "").strip()
        self.external_id = (self.external_id or "").strip()
        self.external_url = self.external_url or ""  # a link is taken as given: spaces make it invalid
        self.description = self.description or ""


class TicketEvent(models.Model):
    """One entry of a ticket's audit trail: who changed which fields, how and when.

    Rows are only ever inserted. The ticket link has no database constraint,
    so deleting a ticket keeps its trail (and adds a `deleted` event).
    """

    # (member name, stored value): the value is the lower-case kind that rows hold.
    Kind = models.TextChoices("Kind", [(k.upper(), k) for k in EVENT_KINDS])
    Source = models.TextChoices("Source", [(s, s) for s in SOURCES])

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
    )
    save_id = models.UUIDField(help_text="Events written by the same save share this id.")
    kind = models.CharField(max_length=15, choices=Kind)
    actor_type = models.CharField(max_length=11)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=200)
    source = models.CharField(max_length=7, choices=Source)
    changes = models.JSONField(help_text='{"field": [old, new], ...}')
    text = models.TextField(blank=True, default="", help_text="A sentence saying what happened, or empty.")
    created_at = models.DateTimeField(default=timezone.now)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64)
    key_id = models.CharField(
        max_length=32,
        null=True,
        blank=True,
        help_text="The audit key that signed the event; empty for events written before keys existed.",
    )

    class Meta:
        db_table = "ticket_events"
        ordering = ["id"]
        indexes = [
            # Events without a key: those older than the audit keys, or forgeries. Healthy new
            # events never enter it, so the audit_chain check reads a small index, not the window.
            models.Index(
                fields=["id"], condition=models.Q(key_id__isnull=True), name="ticket_events_unkeyed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.ticket_id} by {self.actor_name} via {self.source}"

    @property
    def actor(self) -> str:
        """A readable actor, such as `user:admin` or `rule:High priority`."""
        return f"{self.actor_type}:{self.actor_name}"


class IdempotencyKey(models.Model):
    """A ticket create made with an `Idempotency-Key`, and its answer, replayed for retries.

    One row per user and key, written in the create's own transaction; the
    unique constraint is what makes simultaneous duplicates create one
    ticket. Rows older than `tickets.idempotency.KEEP_FOR` are ignored and
    purged.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the request the key was first used for."
    )
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(help_text="The body of the first answer.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "idempotency_keys"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]
        # The purge deletes by age.
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"
