"""The `audit_chain` check: the audit trail has not been rewritten behind the database's back.

Each `ticket_events` row carries a SHA-256 of its content chained to the
previous row of the same ticket. The check verifies, for every row, that its
`prev_hash` is the hash of the ticket's previous row (one windowed query: a
removed, inserted or re-hashed row breaks a link), and re-computes the hash of
the newest rows (an edit that kept the old hash shows there). The append-only
triggers stop ordinary rewrites; this finds the ones made around them.
"""

from django.db.models import F, Value, Window
from django.db.models.functions import Lag

from qa.registry import MAX_IDS, CheckFindings, Violation, register_check
from tickets.events import recomputed_hash
from tickets.models import TicketEvent

# How many of the newest events get their content re-hashed on every run.
REHASHED_EVENTS = 20_000


def broken_links() -> tuple[int, list[Violation]]:
    """Events whose prev_hash is not the hash of the ticket's previous event."""
    linked = TicketEvent.objects.annotate(
        expected=Window(Lag("hash", default=Value("")), partition_by=F("ticket_id"), order_by=F("id").asc())
    )
    broken = linked.exclude(prev_hash=F("expected")).order_by("id").values_list("id", "ticket_id")
    total = broken.count()
    examples = [
        Violation(ticket_id, f"event #{event_id}: its link to the previous event is broken "
                  "(an event was removed, inserted or re-hashed)")
        for event_id, ticket_id in broken[:MAX_IDS]
    ]  # fmt: skip
    return total, examples


def altered_events(limit: int = REHASHED_EVENTS) -> list[Violation]:
    """Among the newest `limit` events, those whose content no longer matches their hash."""
    newest = TicketEvent.objects.order_by("-id")[:limit]
    found = []
    for event in newest.iterator(chunk_size=2000):
        if recomputed_hash(event) != event.hash:
            found.append(
                Violation(event.ticket_id, f"event #{event.pk}: its content does not match its hash")
            )
    return sorted(found, key=lambda violation: violation.reason)


@register_check(
    "audit_chain",
    "The audit trail is intact: every event links to the previous event of its ticket, and the newest "
    "events still match their hashes.",
)
def audit_chain() -> CheckFindings:
    """Broken links anywhere in the trail, then altered content among the newest events."""
    link_total, link_examples = broken_links()
    altered = altered_events()
    examples = (altered + link_examples)[:MAX_IDS]
    return CheckFindings(link_total + len(altered), examples)
