"""Template filters of the dashboard: short ages and readable labels, as the page's script writes them too."""

import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tickets.models import Ticket

register = template.Library()

STATUS_LABELS = dict(Ticket.Status.choices)
PRIORITY_LABELS = dict(Ticket.Priority.choices)


def short_age(moment: datetime.datetime, now: datetime.datetime) -> str:
    """`just now`, `12 min`, `5 h` (up to two days), then `3 d`; dashboard.js writes the same."""
    minutes = int(max((now - moment).total_seconds(), 0) // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


@register.filter
def age(moment: datetime.datetime) -> str:
    """How long ago `moment` was, shortly."""
    return short_age(moment, timezone.now())


@register.filter
def status_label(value: str) -> str:
    """`in_progress` → `In progress`."""
    return STATUS_LABELS.get(value, value)


@register.filter
def priority_label(value: str) -> str:
    """`high` → `High`."""
    return PRIORITY_LABELS.get(value, value)


@register.filter
def assignee_label(value: str) -> str:
    """The assignee, or `Unassigned` for the empty name."""
    return value or "Unassigned"


@register.filter
def days(value: float | None) -> str:
    """A median age: `—` when there is none, `1 day`, `3.5 days`."""
    if value is None:
        return "—"
    text = f"{value:g}"
    return f"{text} day" if value == 1 else f"{text} days"


@register.filter
def moment(value: str) -> str:
    """An ISO 8601 timestamp as `2026-03-01 14:05` in TIME_ZONE (the text itself when it is not one)."""
    parsed = parse_datetime(value or "")
    if parsed is None:
        return value
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
