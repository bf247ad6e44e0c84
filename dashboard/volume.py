"""The summary table counts tickets per creation day for insight's anomaly band and endpoint."""

import datetime
from collections.abc import Mapping

from django.db import connections
from django.db.models import Sum

from dashboard.selectors import as_date, summary_answers, summary_source
from insight.volume import DailyCounts, register_daily_counter

# The chart's dates choose the days shown; the band's history reaches before them.
DATE_FILTERS = ("created_after", "created_before")


@register_daily_counter
def created_per_day_from_summary(
    first: datetime.date, last: datetime.date, filters: Mapping
) -> DailyCounts | None:
    """Tickets per creation day from `first` to `last` under the filters, in one statement over the summary.

    None when the summary cannot apply a filter (a text search, or a filter
    another app keeps): the band is then left empty rather than computed
    from every ticket.
    """
    counted = {name: value for name, value in filters.items() if name not in DATE_FILTERS}
    if not summary_answers(counted):
        return None
    rows = summary_source(counted).rows.order_by()
    per_day = rows.filter(day__gte=first, day__lte=last).values("day").annotate(n=Sum("count"))
    before = rows.filter(day__lt=first, count__gt=0).values("day")[:1]
    per_day_sql, per_day_params = per_day.query.sql_with_params()
    before_sql, before_params = before.query.sql_with_params()
    counts: dict[datetime.date, int] = {}
    earlier = False
    with connections[rows.db].cursor() as cursor:
        # One round trip: the per-day sums, then one row if any ticket was counted before `first`.
        cursor.execute(
            f"SELECT day, n FROM ({per_day_sql}) AS per_day UNION ALL "
            f"SELECT CAST(NULL AS DATE), 1 FROM ({before_sql}) AS earlier",
            [*per_day_params, *before_params],
        )
        for day, n in cursor.fetchall():
            if day is None:
                earlier = True
            else:
                counts[as_date(day)] = int(n)
    return DailyCounts(counts, earlier)
