"""Receivers of the dashboard: every ticket write moves its count in the summary, same transaction."""

from dashboard import stats


def count_moves(sender, writes, using, **kwargs):
    """after_write: move each ticket from its stored bucket to its new one (none when new, or deleted)."""
    stats.record_moves(
        [
            (
                None if write.creating else stats.bucket_of(write.stored, write.stored["created_at"]),
                None if write.deleting else stats.bucket_of(write.state, write.ticket.created_at),
            )
            for write in writes
        ],
        using=using,
    )
