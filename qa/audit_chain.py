"""The `audit_chain` check: the audit trail has not been rewritten behind the application's back.

Each `ticket_events` row carries an HMAC-SHA256, under a key held outside the
database (`TRIAGE_AUDIT_KEYS`, its id in `key_id`), of its content chained to
the previous row of the same ticket. The check verifies, for the newest
`TRIAGE_AUDIT_CHAIN_WINDOW` rows (every row when it is 0):

- links: `prev_hash` is the hash of the ticket's previous row (one query, an
  index lookup of the ticket's earlier events per row); a removed, inserted
  or re-hashed row breaks a link;
- signatures, for the newest rows: the hash is the HMAC of the stored
  content under the key its `key_id` names; an edit cannot be re-signed
  without the key;
- keys: events written before audit keys existed carry none. They are
  counted as "unkeyed" in a note (not a violation); an event without a key
  written after keyed events began is a forgery, and one naming a key that
  is not configured cannot be verified; both are violations.

The append-only triggers stop ordinary rewrites; this finds the ones made
around them.
"""

from django.conf import settings
from django.db.models import F, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from qa.registry import MAX_IDS, CheckFindings, Violation, register_check
from tickets.events import expected_hash
from tickets.models import TicketEvent

# How many of the newest events get their signature verified on every run.
REHASHED_EVENTS = 20_000


def window_start(window: int) -> int | None:
    """The id of the oldest event among the newest `window` (None: check them all)."""
    if not window:
        return None
    return TicketEvent.objects.order_by("-id").values_list("id", flat=True)[window - 1 : window].first()


def broken_links(window: int | None = None) -> tuple[int, list[Violation]]:
    """Events that do not link to their ticket's previous event: among the newest `window` (all if 0).

    Returns the full count and, as examples, the first broken event of each
    ticket (up to MAX_IDS tickets, oldest first), so that one ticket's long
    broken run never hides the others. A clean window costs one query (and
    one to find where it starts); grouping and counting run only when
    something is broken.
    """
    window = settings.TRIAGE_AUDIT_CHAIN_WINDOW if window is None else window
    previous = TicketEvent.objects.filter(ticket_id=OuterRef("ticket_id"), id__lt=OuterRef("id"))
    previous = previous.order_by("-id")
    events = TicketEvent.objects.all()
    oldest = window_start(window)
    if oldest is not None:
        events = events.filter(id__gte=oldest)
    broken = events.annotate(expected=Coalesce(Subquery(previous.values("hash")[:1]), Value(""))).exclude(
        prev_hash=F("expected")
    )
    if not broken.order_by("id")[:1].exists():  # the usual answer, and the cheapest query to give it
        return 0, []
    first_per_ticket = (
        broken.values("ticket_id")
        .annotate(first=Min("id"))
        .order_by("first")
        .values_list("first", "ticket_id")
    )
    found = list(first_per_ticket[:MAX_IDS])
    total = broken.count()
    examples = [
        Violation(ticket_id, f"event #{event_id}: its link to the previous event is broken "
                  "(an event was removed, inserted or re-hashed)")
        for event_id, ticket_id in found
    ]  # fmt: skip
    return total, examples


def bad_signatures(limit: int = REHASHED_EVENTS) -> tuple[int, list[Violation]]:
    """Among the newest `limit` events, those whose content no longer matches their hash.

    Also those that name a key no longer configured (they cannot be
    verified). Returns their count and the oldest such event of each ticket
    (up to MAX_IDS tickets).
    """
    found: list[tuple[int, int, str]] = []
    for event in TicketEvent.objects.order_by("-id")[:limit].iterator(chunk_size=2000):
        expected = expected_hash(event)
        if expected is None:
            reason = f"signed with key {event.key_id!r}, which is not configured"
            found.append((event.pk, event.ticket_id, reason))
        elif expected != event.hash:
            found.append((event.pk, event.ticket_id, "its content does not match its hash"))
    return len(found), _first_per_ticket(found)


def unkeyed_events(window: int | None = None) -> tuple[int, int, list[Violation]]:
    """Events without a key: (written before keys existed, forged after, examples of the forged).

    Events are signed from the first keyed event on, so one without a key and
    a higher id than that was written (or rewritten) by something that does
    not hold the key. Among the newest `window` events (all if 0), like the
    links.
    """
    window = settings.TRIAGE_AUDIT_CHAIN_WINDOW if window is None else window
    events = TicketEvent.objects.all()
    oldest = window_start(window)
    if oldest is not None:
        events = events.filter(id__gte=oldest)
    unkeyed = events.filter(key_id__isnull=True)
    first_keyed_id = events.filter(key_id__isnull=False).order_by("id").values_list("id", flat=True).first()
    if first_keyed_id is None:
        return unkeyed.count(), 0, []
    forged = unkeyed.filter(id__gt=first_keyed_id)
    forged_rows = list(forged.order_by("id").values_list("id", "ticket_id")[: MAX_IDS * 10])
    examples = _first_per_ticket(
        [(event_id, ticket_id, "it carries no key, but was written after events were keyed (forged)")
         for event_id, ticket_id in forged_rows]
    )  # fmt: skip
    forged_total = forged.count() if forged_rows else 0
    return unkeyed.filter(id__lt=first_keyed_id).count(), forged_total, examples


def _first_per_ticket(found: list[tuple[int, int, str]]) -> list[Violation]:
    """The oldest finding of each ticket, as examples (up to MAX_IDS tickets)."""
    first: dict[int, tuple[int, str]] = {}
    for event_id, ticket_id, reason in sorted(found):
        first.setdefault(ticket_id, (event_id, reason))
    return [
        Violation(ticket_id, f"event #{event_id}: {reason}")
        for ticket_id, (event_id, reason) in list(first.items())[:MAX_IDS]
    ]


@register_check(
    "audit_chain",
    "The audit trail is intact: the newest events (TRIAGE_AUDIT_CHAIN_WINDOW, 0 for all) link to the "
    f"previous event of their ticket, the newest {REHASHED_EVENTS:,} carry a valid signature of a "
    "configured key, and none without a key was written after keys were in use.",
)
def audit_chain() -> CheckFindings:
    """Broken links, bad signatures and forged unkeyed events; older unkeyed events as a note."""
    link_total, link_examples = broken_links()
    signature_total, signature_examples = bad_signatures()
    legacy, forged_total, forged_examples = unkeyed_events()
    notes = []
    if legacy:
        notes.append(
            f"{legacy:,} event{'' if legacy == 1 else 's'} written before audit keys existed (unkeyed): "
            "their links are checked, but anyone able to write the table could have re-hashed them"
        )
    return CheckFindings(
        link_total + signature_total + forged_total,
        (forged_examples + signature_examples + link_examples)[:MAX_IDS],
        notes,
    )
