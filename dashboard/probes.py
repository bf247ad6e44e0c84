"""The dashboard's contribution to the regression suite's data_consistency check."""

from dashboard import stats
from qa.registry import Violation, register_consistency_probe


@register_consistency_probe("dashboard_summary")
def summary_matches_tickets() -> list[Violation]:
    """Summary totals (per status and priority, assignee, day) that differ from the tickets' own."""
    return [
        Violation(
            ticket_id=None,
            reason=(
                f"dashboard summary counts {row.stored} {row.what}, tickets say {row.actual} "
                "(run `manage.py rebuild_stats`)"
            ),
        )
        for row in stats.total_disagreements()
    ]
