"""The dashboard's contribution to the regression suite's data_consistency check."""

from dashboard import stats
from qa.registry import Violation, register_consistency_probe


@register_consistency_probe("dashboard_summary")
def summary_matches_tickets() -> list[Violation]:
    """Summary buckets whose count differs from a recount of the tickets (one query)."""
    return [
        Violation(
            ticket_id=None,
            reason=(
                f"dashboard summary for {row['day']} {row['status']}/{row['priority']}/"
                f"{row['assigned_to'] or '(unassigned)'} holds {int(row['stored'])}, "
                f"tickets say {int(row['actual'])} (run `manage.py rebuild_stats`)"
            ),
        )
        for row in stats.disagreements()
    ]
