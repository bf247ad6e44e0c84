"""The dashboard's summary table answers "how many tickets match?" for the API's lists too."""

from django.db.models import Sum

from dashboard.selectors import summary_answers, summary_source
from tickets.filters import register_counter


@register_counter
def count_from_summary(cleaned: dict) -> int | None:
    """The exact number of tickets the filter selects, summed from the summary; None when it cannot tell.

    The summary is written in the same transaction as every ticket write, so
    the sum is as exact as a COUNT(*), at the cost of a few thousand summary
    rows instead of every matching ticket.
    """
    if not summary_answers(cleaned):
        return None
    return summary_source(cleaned).rows.aggregate(total=Sum("count"))["total"] or 0
