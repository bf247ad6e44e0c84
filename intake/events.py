"""What a sender says about one of its alerts, issues or incidents, in the ticket's terms.

Each source's adapter (`alertmanager.py`, `github.py`, `pagerduty.py`)
reads its sender's format into `AlertEvent`s; `intake.sync` applies them to
tickets. `ticket_changes` is the one place that decides what an event does
to a stored ticket: a pure function of the event, the ticket's values and
what the sender said last.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tickets import invariants
from tickets.fields import MAX_LENGTHS, Status

# The sender's own state of the thing, after an event (the ExternalTicket.sender_state values).
OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"
# Whether an event that says "open" reopens a closed ticket.
NEVER = "never"  # a creation seen again (GitHub's opened, PagerDuty's triggered): the ticket is left as it is
ALWAYS = "always"  # an explicit reopening (GitHub's and PagerDuty's reopened)
AFTER_SENDER_CLOSED = "after_sender_closed"  # Alertmanager's firing: only after the sender said resolved


class Unverified(Exception):
    """A request whose signature or token does not verify; `reason` is for the delivery log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadPayload(Exception):
    """A body the source's adapter cannot read: `errors` is the 400's body, DRF-shaped."""

    def __init__(self, errors: dict, delivery_id: str | None = None):
        super().__init__(errors)
        self.errors = errors
        self.delivery_id = delivery_id


@dataclass(frozen=True)
class AlertEvent:
    """One event about one external thing (an alert, an issue, an incident).

    `state` is the sender's state of it after the event (`open`,
    `acknowledged`, `closed`), or None when the event changes no state (an
    edit). `creates` holds the ticket's values when the event may create
    the ticket of an external id never seen; events that do not create are
    ignored for such ids. `changes` are field values to set on an existing
    ticket; `assignee` is who acknowledged, assigned when the ticket has no
    proper assignee.
    """

    external_id: str
    state: str | None
    creates: Mapping[str, Any] | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)
    reopens: str = NEVER
    assignee: str = ""


@dataclass(frozen=True)
class Reading:
    """What an adapter made of a verified delivery: its id, and its events, or why it does nothing.

    `ignored` (a sentence) marks an event type or action the source does not
    handle (answered 202); `ping` a sender checking the hook (answered 200).
    """

    delivery_id: str
    events: tuple[AlertEvent, ...] = ()
    ignored: str = ""
    ping: bool = False


def ticket_changes(event: AlertEvent, ticket: Mapping[str, Any], sender_state: str) -> dict[str, Any]:
    """The field values `event` sets on a stored ticket (its tracked values), given the sender's last state.

    Empty when the event changes nothing, e.g. a repeat of the state the
    sender already reported. A closed ticket is reopened only by an explicit
    reopening, or (Alertmanager) by a firing after the sender itself said
    resolved: a ticket a person closed while its alert kept firing stays
    closed. An acknowledgement puts the ticket in progress and, when it has
    no proper assignee, assigns whoever acknowledged.
    """
    values = {name: value for name, value in event.changes.items() if ticket.get(name) != value}
    status = ticket["status"]
    if event.state == CLOSED and status != Status.CLOSED:
        values["status"] = Status.CLOSED
    elif event.state == OPEN and status == Status.CLOSED:
        if event.reopens == ALWAYS or (event.reopens == AFTER_SENDER_CLOSED and sender_state == CLOSED):
            values["status"] = Status.OPEN
    elif event.state == ACKNOWLEDGED:
        if status != Status.IN_PROGRESS:
            values["status"] = Status.IN_PROGRESS
        assignee = event.assignee
        if assignee and not invariants.is_proper_assignee(ticket.get("assigned_to", "")):
            values["assigned_to"] = assignee
    return values


# --- Text from senders, made fit for a ticket --------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as the database can store it: NUL characters dropped, lone surrogates replaced by U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON decoding joins valid surrogate pairs, so any surrogate left stands alone.
        text = _SURROGATE.sub("\ufffd", text)
    return text


def cut(text: str, field_name: str) -> str:
    """Trimmed, and cut to the ticket field's length (titles 200, assignees 100): never refused for length."""
    return storable(text).strip()[: MAX_LENGTHS[field_name]].strip()


def link_or_empty(url: str) -> str:
    """`url` when `external_url` may hold it (http or https, no spaces, at most 500), else empty."""
    url = storable(url)
    if len(url) <= MAX_LENGTHS["external_url"] and invariants.is_external_url(url):
        return url
    return ""


def new_ticket(
    *, external_id: str, title: str, fallback_title: str, description: str = "", priority: str, url: str = ""
) -> dict[str, Any]:
    """The values of a ticket made for an external thing; a blank title falls back to `fallback_title`."""
    return {
        "title": cut(title, "title") or cut(fallback_title, "title"),
        "description": storable(description),
        "priority": priority,
        "external_id": external_id,
        "external_url": link_or_empty(url),
    }
