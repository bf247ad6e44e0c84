"""The dashboard's summary of tickets, kept in step with every ticket write.

Counting a million tickets per request is too slow, so the dashboard reads
`TicketCount`: rows of (created day, status, priority, assignee, count) whose
counts, summed per bucket, are the number of tickets in it. Every ticket
write appends its moves as rows in its own transaction (it never updates a
row another writer may hold); `dashboard.stats.fold` merges each bucket's rows
into one from time to time, and `rebuild_stats` recomputes it all.
"""

from django.db import models


class TicketCount(models.Model):
    """Tickets created on `day` (in TIME_ZONE) that now have these values: add up a bucket's rows.

    A bucket may have several rows (+1 for a ticket that came in, -1 for one
    that left) until the next fold; readers always sum.
    """

    day = models.DateField()
    status = models.CharField(max_length=11)
    priority = models.CharField(max_length=6)
    assigned_to = models.CharField(max_length=100, blank=True, default="")
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "dashboard_ticket_counts"
        indexes = [
            # Date-range reads (day first) and the fold's grouping per bucket.
            models.Index(
                fields=["day", "status", "priority", "assigned_to"], name="dashboard_counts_bucket_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status}/{self.priority}/{self.assigned_to or '-'}: {self.count:+}"
