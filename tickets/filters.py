"""The one definition of "filter tickets", shared by the API and the dashboard.

Query-string names: `status` and `priority` (repeatable, either value),
`assigned_to` (exact), `unassigned` (`true`/`false`), `created_after` and
`created_before` (dates, inclusive, counted in TIME_ZONE), `search` (title and
description) and `ordering`. A bad value is a form error keyed by the
parameter's name, which the API answers with 400 and the dashboard shows.
"""

import datetime
from collections.abc import Callable

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from tickets.models import Ticket

# Orderings by meaning, not alphabet: low < medium < high, open < in_progress < closed.
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Ticket.Priority.values)),
    output_field=IntegerField(),
)
STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(Ticket.Status.values)),
    output_field=IntegerField(),
)
ORDERING_FIELDS = ("created_at", "updated_at", "priority", "status", "id")

# Functions that count the tickets a filter selects without reading them, from
# the cleaned filter values, or answer None when they cannot. Another app
# registers one (the dashboard's summary table): the core does not know it.
COUNTERS: list[Callable[[dict], int | None]] = []


def register_counter(counter: Callable[[dict], int | None]) -> Callable[[dict], int | None]:
    """Decorator: offer `counter` to `TicketFilter.known_count`."""
    COUNTERS.append(counter)
    return counter


def start_of_day(day: datetime.date) -> datetime.datetime | None:
    """Midnight at the start of `day` in the project's TIME_ZONE, as an aware datetime.

    None at the ends of the calendar (year 1 or 9999), where the zone's offset
    would leave the range of datetimes: such a bound excludes nothing.
    """
    moment = timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )
    try:
        moment.astimezone(datetime.UTC)
    except OverflowError:
        return None
    return moment


class TicketOrderingFilter(django_filters.OrderingFilter):
    """`ordering=priority,-created_at`; priority and status sort by meaning; ties by newest id."""

    def filter(self, queryset, value):
        if not value:
            return queryset
        ordering = []
        for param in value:
            descending = param.startswith("-")
            name = param.lstrip("-")
            if name == "priority":
                queryset = queryset.alias(priority_rank=PRIORITY_RANK)
                name = "priority_rank"
            elif name == "status":
                queryset = queryset.alias(status_rank=STATUS_RANK)
                name = "status_rank"
            ordering.append(f"-{name}" if descending else name)
        if not any(item.lstrip("-") == "id" for item in ordering):
            ordering.append("-id")
        return queryset.order_by(*ordering)


class TicketFilterForm(forms.Form):
    """The filter's form: checks that the date range is not upside down."""

    INVERTED_RANGE = "Must be on or after created_after."
    EMPTY_ORDERING_ITEM = "Name a field between each pair of commas, e.g. priority,-created_at."

    def clean(self):
        data = super().clean()
        after, before = data.get("created_after"), data.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", self.INVERTED_RANGE)
        # `ordering=,` would otherwise reach the query as an empty field name.
        if "" in (data.get("ordering") or ()):
            self.add_error("ordering", self.EMPTY_ORDERING_ITEM)
        return data


class TicketFilter(django_filters.FilterSet):
    """Filters for ticket lists; see the module docstring for the parameters."""

    # distinct=False: django-filter's default (SELECT DISTINCT over every column) guards
    # against duplicate rows from to-many joins, which these columns cannot produce, and
    # turns a filtered count at a million tickets into a sort of every matching row.
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices, distinct=False)
    assigned_to = django_filters.CharFilter(field_name="assigned_to", lookup_expr="exact", max_length=100)
    unassigned = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_unassigned", empty_label=None
    )
    created_after = django_filters.DateFilter(method="filter_created_after", label="Created on or after")
    created_before = django_filters.DateFilter(method="filter_created_before", label="Created on or before")
    search = django_filters.CharFilter(method="filter_search", max_length=200, label="Search")
    ordering = TicketOrderingFilter(fields=ORDERING_FIELDS)

    class Meta:
        model = Ticket
        fields = []
        form = TicketFilterForm

    def known_count(self) -> int | None:
        """How many tickets this (valid) filter selects, if a registered counter can tell cheaply."""
        for counter in COUNTERS:
            count = counter(self.form.cleaned_data)
            if count is not None:
                return count
        return None

    def filter_unassigned(self, queryset, name, value):
        if value == "true":
            return queryset.filter(assigned_to="")
        if value == "false":
            return queryset.exclude(assigned_to="")
        return queryset

    def filter_created_after(self, queryset, name, value):
        start = start_of_day(value)
        return queryset if start is None else queryset.filter(created_at__gte=start)

    def filter_created_before(self, queryset, name, value):
        end = start_of_day(value + datetime.timedelta(days=1)) if value < datetime.date.max else None
        return queryset if end is None else queryset.filter(created_at__lt=end)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
