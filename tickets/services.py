"""Ticket writes for callers outside the admin: the API and the webhook.

Each service names the actor and the channel once and hands its change to
the write pipeline, so the business rule, the automation rules and the audit
trail apply exactly as they do in the admin. A refused value raises Django's
`ValidationError` keyed by the field that broke the rule.
"""

from collections.abc import Collection

from tickets.audit import Actor, acting_as
from tickets.models import Ticket
from tickets.pipeline import TicketChange, write_tickets


def ticket_create(*, actor: Actor, source: str, **fields) -> Ticket:
    """Create a ticket from `fields` (tracked fields only); the rules apply; return it as stored."""
    with acting_as(actor, source=source):
        (write,) = write_tickets([TicketChange.create(fields)])
    return write.ticket


def ticket_update(
    ticket: Ticket,
    *,
    actor: Actor,
    source: str,
    expected_versions: Collection[int] | None = None,
    **fields,
) -> Ticket:
    """Change the given fields of `ticket`; the rules apply; `ticket` is refreshed as stored.

    Only the named fields are taken from the caller: the pipeline re-reads
    the locked row and keeps its stored value for every other field, so a
    concurrent change to another field is not overwritten with a stale copy.
    With `expected_versions` (the version the caller based its change on, as
    a collection: HTTP's If-Match may name several), the change is made only
    if the ticket is still at one of them, checked against the locked row;
    otherwise `VersionConflict` is raised and nothing is written.
    """
    change = TicketChange.update(ticket.pk, fields, expected_versions=expected_versions)
    with acting_as(actor, source=source):
        (write,) = write_tickets([change])
    ticket.take_values_of(write.ticket)
    return ticket


def ticket_delete(
    ticket: Ticket, *, actor: Actor, source: str, expected_versions: Collection[int] | None = None
) -> None:
    """Delete `ticket`; its audit trail is kept and gains a `deleted` event.

    `expected_versions` works as for `ticket_update`.
    """
    with acting_as(actor, source=source):
        write_tickets([TicketChange.delete(ticket.pk, expected_versions=expected_versions)])
