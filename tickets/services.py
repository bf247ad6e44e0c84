"""Ticket writes for callers outside the admin: the API and the webhook.

Each service names the actor and the channel once and goes through the
model's save path, so the business rule, the automation rules and the audit
trail apply exactly as they do in the admin. A refused value raises Django's
`ValidationError` keyed by the field that broke the rule.
"""

from collections.abc import Collection

from tickets.audit import Actor, acting_as
from tickets.models import TRACKED_FIELDS, Ticket


def _unknown_fields(fields: dict) -> None:
    unknown = set(fields) - set(TRACKED_FIELDS)
    if unknown:
        raise TypeError(f"not ticket fields that callers may set: {sorted(unknown)}")


def ticket_create(*, actor: Actor, source: str, **fields) -> Ticket:
    """Create a ticket from `fields` (tracked fields only); the rules apply; return it as stored."""
    _unknown_fields(fields)
    ticket = Ticket(**fields)
    with acting_as(actor, source=source):
        ticket.save()
    return ticket


def ticket_update(
    ticket: Ticket,
    *,
    actor: Actor,
    source: str,
    expected_versions: Collection[int] | None = None,
    **fields,
) -> Ticket:
    """Change the given fields of `ticket`; the rules apply; return it as stored.

    Only the named fields are taken from the caller: the save re-reads the
    locked row and keeps its stored value for every other field, so a
    concurrent change to another field is not overwritten with a stale copy.
    With `expected_versions` (the version the caller based its change on, as
    a collection: HTTP's If-Match may name several), the change is made only
    if the ticket is still at one of them, checked against the locked row;
    otherwise `VersionConflict` is raised and nothing is written.
    """
    _unknown_fields(fields)
    for name, value in fields.items():
        setattr(ticket, name, value)
    with acting_as(actor, source=source):
        ticket.save(update_fields=list(fields), expected_versions=expected_versions)
    return ticket


def ticket_delete(
    ticket: Ticket, *, actor: Actor, source: str, expected_versions: Collection[int] | None = None
) -> None:
    """Delete `ticket`; its audit trail is kept and gains a `deleted` event.

    `expected_versions` works as for `ticket_update`.
    """
    with acting_as(actor, source=source):
        ticket.delete(expected_versions=expected_versions)
