"""Where other apps add to the ticket's JSON and to the shared ticket filter.

`tickets` imports no other app. An app that computes something about a
ticket (an SLA policy's name, a predicted resolution time) or filters on a
column it keeps up to date registers it here from its AppConfig's `ready()`:

    add_ticket_field("sla_policy", sla_policy_name, schema={"type": ["string", "null"]})
    add_ticket_filter("sla_state", MultipleChoiceFilter(...), counted_from="tickets")

Fields appear in every ticket's JSON (API, webhook answers, dashboard feed)
after the model's own, in the order they were added; filters join
`TicketFilter` (API, dashboard, export) under their query-string name.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_filters

from tickets.filters import TicketFilter
from tickets.models import Ticket


@dataclass(frozen=True)
class TicketField:
    """A read-only field of the ticket JSON that another app computes from the ticket."""

    name: str
    value: Callable[[Any], Any]
    schema: dict


TICKET_FIELDS: dict[str, TicketField] = {}


def add_ticket_field(name: str, value: Callable[[Any], Any], *, schema: dict) -> None:
    """Add `name` to the ticket JSON, computed by `value(ticket)`; `schema` is its OpenAPI schema."""
    if name in TICKET_FIELDS or name in {field.name for field in Ticket._meta.get_fields()}:
        raise ValueError(f"the ticket JSON already has a field {name!r}")
    TICKET_FIELDS[name] = TicketField(name, value, schema)


def add_ticket_filter(name: str, filter_: django_filters.Filter) -> None:
    """Add a query-string filter to `TicketFilter`, for the API, the dashboard and the export alike.

    The dashboard's summary table does not know it, so a query that uses it
    is counted from the tickets themselves.
    """
    if name in TicketFilter.base_filters:
        raise ValueError(f"TicketFilter already has a filter {name!r}")
    TicketFilter.base_filters[name] = filter_
