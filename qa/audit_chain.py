"""The `audit_chain` check: the audit trail has not been rewritten behind the database's back.

Each `ticket_events` row carries a SHA-256 of its content chained to the
previous row of the same ticket. The check verifies, for the newest
`TRIAGE_AUDIT_CHAIN_WINDOW` rows (every row when it is 0), that `prev_hash`
is the hash of the ticket's previous row (one query, an index lookup of the
ticket's earlier events per row: a removed, inserted or re-hashed row breaks
a link), and re-computes the hash of the newest rows (an edit that kept the
old hash shows there). The append-only triggers stop ordinary rewrites; this
finds the ones made around them.
"""

from django.conf import settings
from django.db.models import F, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from qa.registry import MAX_IDS, CheckFindings, Violation, register_check
from tickets.events import recomputed_hash
from tickets.models import TicketEvent

# How many of the newest events get their content re-hashed on every run.
REHASHED_EVENTS = 20_000


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
    if window:
        oldest = TicketEvent.objects.order_by("-id").values_list("id", flat=True)[window - 1 : window].first()
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


def altered_events(limit: int = REHASHED_EVENTS) -> tuple[int, list[Violation]]:
    """Among the newest `limit` events, those whose content no longer matches their hash.

    Returns their count and the oldest such event of each ticket (up to MAX_IDS tickets).
    """
    newest = TicketEvent.objects.order_by("-id")[:limit]
    altered = sorted(
        (event.pk, event.ticket_id)
        for event in newest.iterator(chunk_size=2000)
        if recomputed_hash(event) != event.hash
    )
    first_per_ticket: dict[int, int] = {}
    for event_id, ticket_id in altered:  # oldest first
        first_per_ticket.setdefault(ticket_id, event_id)
    examples = [
        Violation(ticket_id, f"event #{event_id}: its content does not match its hash")
        for ticket_id, event_id in list(first_per_ticket.items())[:MAX_IDS]
    ]
    return len(altered), examples


@register_check(
    "audit_chain",
    "The audit trail is intact: the newest events (TRIAGE_AUDIT_CHAIN_WINDOW, 0 for all) link to the "
    f"previous event of their ticket, and the newest {REHASHED_EVENTS:,} still match their hashes.",
)
def audit_chain() -> CheckFindings:
    """Broken links among the newest events (or all), then altered content among the newest events."""
    link_total, link_examples = broken_links()
    altered_total, altered_examples = altered_events()
    return CheckFindings(link_total + altered_total, (altered_examples + link_examples)[:MAX_IDS])
