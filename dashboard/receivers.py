"""Receivers of the dashboard: every ticket write moves its count in the summary, same transaction.

Single saves and deletes come through Django's signals, bulk writes through
the tickets app's own bulk signals; all end in `stats.record_moves`.
"""

from dashboard import stats


def count_ticket_save(sender, instance, raw, using, **kwargs):
    """Move the ticket from its stored bucket (none when new) to its new one."""
    write = getattr(instance, "current_write", None)
    if raw or write is None or write.stored == instance.state():
        return
    before = None if write.stored is None else stats.bucket_of(write.stored, instance.created_at)
    stats.record_moves([(before, stats.bucket_of(instance.state(), instance.created_at))], using=using)


def remember_ticket_before_delete(sender, instance, using, **kwargs):
    """Read (and lock) the stored row: the instance in hand may be stale."""
    instance.dashboard_bucket = stats.stored_bucket(instance.pk, using=using)


def count_ticket_delete(sender, instance, using, **kwargs):
    """Take the deleted ticket out of its bucket."""
    bucket = getattr(instance, "dashboard_bucket", None)
    if bucket is not None:
        stats.record_moves([(bucket, None)], using=using)


def count_bulk_create(sender, tickets, using, **kwargs):
    """Count each new ticket in the bucket of its final state."""
    stats.record_moves([(None, stats.bucket_of(t.state(), t.created_at)) for t in tickets], using=using)


def count_bulk_update(sender, tickets, using, **kwargs):
    """Move each changed ticket from its stored bucket to its new one."""
    if tickets:
        stats.record_moves(stats.bulk_update_moves(tickets, using=using), using=using)
