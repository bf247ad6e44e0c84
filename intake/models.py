"""Which ticket stands for which alert, issue or incident of a sender: one per integration and external id."""

from django.db import models
from django.utils import timezone

from automation.models import Integration
from tickets.models import Ticket


class ExternalTicket(models.Model):
    """The ticket of one alert (its fingerprint), GitHub issue (`owner/repo#42`) or PagerDuty incident.

    The unique constraint on (integration, external id) is what keeps
    concurrent deliveries of one alert to one ticket: every delivery claims
    its external ids here before it writes a ticket, and the database lets
    only one claim each (see `intake.sync`). `sender_state` is the sender's
    own last word about it (open, acknowledged or closed), which is not the
    ticket's status: a person may close a ticket while its alert keeps
    firing, and only a firing after the sender said "resolved" reopens it.
    """

    class SenderState(models.TextChoices):
        OPEN = "open", "Open (firing, opened, triggered or reopened)"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CLOSED = "closed", "Closed (resolved or closed by the sender)"

    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        related_name="external_tickets",
        db_index=False,  # the unique (integration, external_id) index serves it
    )
    external_id = models.CharField(
        max_length=200, help_text="The sender's id: fingerprint, owner/repo#42, ..."
    )
    # A plain id, as the audit trail keeps it: tickets are written by the pipeline's own SQL, and a
    # deleted ticket's link is simply re-pointed when its alert opens a ticket again.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique constraint below indexes it
        null=True,
        blank=True,
        related_name="+",
    )
    sender_state = models.CharField(max_length=12, choices=SenderState)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, help_text="When the sender's state last changed.")

    class Meta:
        db_table = "intake_external_tickets"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "external_id"], name="external_ticket_once"),
            models.UniqueConstraint(fields=["ticket"], name="external_ticket_one_link_per_ticket"),
            models.CheckConstraint(
                condition=models.Q(sender_state__in=["open", "acknowledged", "closed"]),
                name="external_ticket_sender_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}:{self.external_id} → #{self.ticket_id}"
