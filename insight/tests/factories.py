"""Tickets spread over past days, as history for the anomaly band and the resolution model."""

import datetime

from django.utils import timezone

from tickets.tests.factories import create_tickets


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_default_timezone())


def daily_history(per_day: dict[datetime.date, int], *, hour: int = 12, **values) -> None:
    """Create `per_day[day]` tickets on each day, at `hour` local time, through the write pipeline."""
    create_tickets(
        *(
            {
                "title": f"Ticket {day} {n}",
                **values,
                "created_at": local_midnight(day) + datetime.timedelta(hours=hour),
            }
            for day, count in per_day.items()
            for n in range(count)
        )
    )


def steady_days(last: datetime.date, days: int, per_day: int = 5) -> dict[datetime.date, int]:
    """`per_day` tickets on each of the `days` days ending with `last`."""
    return {last - datetime.timedelta(days=back): per_day for back in range(days)}


def closed_history(specs, *, now: datetime.datetime) -> list:
    """Tickets made from (days_ago, hours, values): created days_ago before `now`, closed hours later."""
    from tickets.pipeline import TicketChange, write_tickets

    created = create_tickets(
        *(
            {"title": "Ticket", **values, "created_at": now - datetime.timedelta(days=days)}
            for days, _, values in specs
        )
    )
    write_tickets(
        [
            TicketChange.update(
                ticket.pk, {"status": "closed"}, when=ticket.created_at + datetime.timedelta(hours=hours)
            )
            for ticket, (_, hours, _) in zip(created, specs, strict=True)
            if hours is not None
        ]
    )
    return created
