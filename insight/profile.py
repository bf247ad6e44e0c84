"""The typical hourly profile of ticket arrivals: how much of a day's volume has come by a given time.

Today's count is judged against the count expected *by now*, not by
midnight. The summary table has days, not hours, so the profile is counted
from the tickets of the last `PROFILE_DAYS` whole days, one index range count
per hour (the `created_at` index answers each without reading rows). That
is a bounded amount of work whatever the history, and its result changes
slowly, so it is kept in the shared cache for an hour.
"""

import datetime
import math
from itertools import islice

from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from tickets.models import Ticket

PROFILE_DAYS = 7
# Pseudo-tickets per hour added to the counts: with few tickets the profile leans to an even day.
PRIOR_PER_HOUR = 1.0
HOURS_PER_STATEMENT = 24 * PROFILE_DAYS


def local_day(moment: datetime.datetime) -> datetime.date:
    """The calendar day of `moment` in the project's TIME_ZONE."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def hour_start(day: datetime.date, hour: int) -> datetime.datetime:
    """The start of `hour` on `day`, in TIME_ZONE (hour 24 is the next midnight)."""
    zone = timezone.get_default_timezone()
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone) + datetime.timedelta(hours=hour)


def hourly_profile(today: datetime.date, *, using: str = "default") -> list[float]:
    """The share of a day's tickets that arrive in each local hour (24 shares adding up to 1)."""
    key = f"insight:profile:{using}:{connections[using].settings_dict['NAME']}:{today.isoformat()}"
    shares = cache.get(key)
    if shares is None:
        counts = hourly_counts(today, using=using)
        total = sum(counts) + 24 * PRIOR_PER_HOUR
        shares = [(count + PRIOR_PER_HOUR) / total for count in counts]
        cache.set(key, shares, timeout=3600)
    return shares


def hourly_counts(today: datetime.date, *, using: str = "default") -> list[int]:
    """Tickets created in each local hour of the PROFILE_DAYS days before `today`, summed per hour."""
    connection = connections[using]
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    table, column = quote(Ticket._meta.db_table), quote(Ticket._meta.get_field("created_at").column)
    hours = [
        (hour, hour_start(day, hour), hour_start(day, hour + 1))
        for back in range(PROFILE_DAYS, 0, -1)
        for day in [today - datetime.timedelta(days=back)]
        for hour in range(24)
    ]
    counts = [0] * 24
    iterator = iter(hours)
    with connection.cursor() as cursor:
        while chunk := list(islice(iterator, HOURS_PER_STATEMENT)):
            params = []
            for hour, start, end in chunk:
                params += [hour, adapt(start), adapt(end)]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"WITH hours (hour, hour_start, hour_end) AS (VALUES {values}) "
                f"SELECT hours.hour, (SELECT COUNT(*) FROM {table} "
                f"WHERE {table}.{column} >= hours.hour_start "
                f"AND {table}.{column} < hours.hour_end) AS n FROM hours",
                params,
            )
            for hour, count in cursor.fetchall():
                counts[int(hour)] += int(count)
    return counts


def share_of_day(now: datetime.datetime, *, using: str = "default") -> float:
    """How much of a typical day's volume has arrived by `now` (local time), between 0 and 1."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    shares = hourly_profile(local.date(), using=using)
    hour = local.hour
    into_hour = (local.minute * 60 + local.second) / 3600
    share = math.fsum(shares[:hour]) + shares[hour] * into_hour
    return min(1.0, max(share, 0.0))
