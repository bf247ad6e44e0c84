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
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from qa.registry import MAX_IDS, CheckFindings, Violation, register_check
from tickets.events import recomputed_hash
from tickets.models import TicketEvent

# How many of the newest events get their content re-hashed on every run.
REHASHED_EVENTS = 20_000


def broken_links(window: int | None = None) -> tuple[int, list[Violation]]:
    """Events that do not link to their ticket's previous event: among the newest `window` (all if 0).

    Returns the full count and the first MAX_IDS by id; the count costs a
    second query only when there are more than that.
    """
    window = settings.TRIAGE_AUDIT_CHAIN_WINDOW if window is None else window
    previous = TicketEvent.objects.filter(ticket_id=OuterRef("ticket_id"), id__lt=OuterRef("id"))
    previous = previous.order_by("-id")
    events = TicketEvent.objects.all()
    if window:
        oldest = TicketEvent.objects.order_by("-id").values_list("id", flat=True)[window - 1 : window].first()
        if oldest is not None:
            events = events.filter(id__gte=oldest)
    broken = (
        events.annotate(expected=Coalesce(Subquery(previous.values("hash")[:1]), Value("")))
        .exclude(prev_hash=F("expected"))
        .order_by("id")
        .values_list("id", "ticket_id")
    )
    found = list(broken[: MAX_IDS + 1])
    total = len(found) if len(found) <= MAX_IDS else broken.count()
    examples = [
        Violation(ticket_id, f"event #{event_id}: its link to the previous event is broken "
                  "(an event was removed, inserted or re-hashed)")
        for event_id, ticket_id in found[:MAX_IDS]
    ]  # fmt: skip
    return total, examples


def altered_events(limit: int = REHASHED_EVENTS) -> list[Violation]:
    """Among the newest `limit` events, those whose content no longer matches their hash."""
    newest = TicketEvent.objects.order_by("-id")[:limit]
    found = [
        (event.pk, Violation(event.ticket_id, f"event #{event.pk}: its content does not match its hash"))
        for event in newest.iterator(chunk_size=2000)
        if recomputed_hash(event) != event.hash
    ]
    return [violation for _, violation in sorted(found, key=lambda pair: pair[0])]  # oldest event first


@register_check(
    "audit_chain",
    "The audit trail is intact: the newest events (TRIAGE_AUDIT_CHAIN_WINDOW, 0 for all) link to the "
    f"previous event of their ticket, and the newest {REHASHED_EVENTS:,} still match their hashes.",
)
def audit_chain() -> CheckFindings:
    """Broken links among the newest events (or all), then altered content among the newest events."""
    link_total, link_examples = broken_links()
    altered = altered_events()
    examples = (altered + link_examples)[:MAX_IDS]
    return CheckFindings(link_total + len(altered), examples)
