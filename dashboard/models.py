"""The dashboard's summary of tickets, kept in step with every ticket write.

Counting a million tickets per request is too slow, so the dashboard reads
`TicketCount`: one row per (created day, status, priority, assignee) with the
number of tickets in it. The receivers in `dashboard/receivers.py` change it
in the same transaction as the ticket write; `rebuild_stats` recomputes it.
"""

from django.db import models


class TicketCount(models.Model):
    """How many tickets were created on `day` (in TIME_ZONE) and now have these values.

    A row may hold 0 after its last ticket moved away; readers sum, so it
    does no harm, and the next ticket in that bucket reuses it.
    """

    day = models.DateField()
    status = models.CharField(max_length=11)
    priority = models.CharField(max_length=6)
    assigned_to = models.CharField(max_length=100, blank=True, default="")
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "dashboard_ticket_counts"
        constraints = [
            # The upsert's conflict target; its index also serves date-range reads (day first).
            models.UniqueConstraint(
                fields=["day", "status", "priority", "assigned_to"], name="dashboard_counts_bucket_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status}/{self.priority}/{self.assigned_to or '-'}: {self.count}"


class DataVersion(models.Model):
    """One row whose `value` goes up with every ticket write: the cheap part of the dashboard's ETag.

    It is raised in the ticket's own transaction, so a reader that sees a
    value also sees every write it counts.
    """

    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "dashboard_data_version"

    def __str__(self) -> str:
        return f"data version {self.value}"
