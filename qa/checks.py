"""The four business-rule checks, run against the live database.

Each check is set-based: one statement finds the offending tickets, counts
all of them (a window count over the whole set) and returns the first 100
by id with the values their reasons are written from. Nothing loops over
tickets in Python, so the cost is the query's and memory stays flat.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Window
from django.utils import timezone

from qa.registry import CONSISTENCY_PROBES, MAX_IDS, CheckFindings, Violation, register_check
from tickets import invariants
from tickets.audit import Actor, acting_as
from tickets.fields import MAX_LENGTHS, PRIORITIES, STATUSES
from tickets.integrity import BROKEN_ROW, ROW_PROBLEMS, assignee_key
from tickets.models import Ticket, TicketEvent

# Who the workflow probe's (rolled back) tickets are attributed to while they exist.
PROBE_ACTOR = Actor("system", None, "run_regression")
# What the two rules Triage ships with must make of a new ticket.
EXPECTED_ROUTING = {
    "high": {"assigned_to": "Senior Analyst", "status": "in_progress"},
    "low": {"assigned_to": "SupportBot", "status": "open"},
}
PROBLEM_MESSAGES = {
    "title_null": "title is NULL",
    "title_blank": "title is blank",
    "title_too_long": "title is longer than {limits[title]} characters",
    "description_null": "description is NULL",
    "status_null": "status is NULL",
    "status_invalid": "status {status!r} is not one of " + ", ".join(STATUSES),
    "priority_null": "priority is NULL",
    "priority_invalid": "priority {priority!r} is not one of " + ", ".join(PRIORITIES),
    "assigned_to_null": "assigned_to is NULL",
    "assigned_to_too_long": "assigned_to is longer than {limits[assigned_to]} characters",
    "created_at_null": "created_at is NULL",
    "updated_at_null": "updated_at is NULL",
    "updated_before_created": "updated_at {updated_at:%Y-%m-%d %H:%M:%S} is before created_at "
    "{created_at:%Y-%m-%d %H:%M:%S}",
}


def first_offenders(queryset: QuerySet, *fields: str) -> QuerySet:
    """The one statement of a check: the first 100 offending tickets by id, each with the total count."""
    # The count is the same on every row, so sorting on it first changes nothing but
    # the plan: ordered by id alone, PostgreSQL reads the whole table in id order,
    # betting that LIMIT stops it early, which the window count never lets happen.
    return (
        queryset.annotate(offending_total=Window(Count("id")))
        .order_by("offending_total", "id")
        .values("id", "offending_total", *fields)[:MAX_IDS]
    )


def offending_tickets(queryset: QuerySet, reason, *fields: str) -> CheckFindings:
    """Count the tickets of `queryset` and explain the first 100 by id, in one statement.

    `reason(row)` writes the reason for one fetched row (a dict of `id` and `fields`).
    """
    rows = list(first_offenders(queryset, *fields))
    total = rows[0]["offending_total"] if rows else 0
    return CheckFindings(total, [Violation(row["id"], reason(row)) for row in rows])


def unassigned_high_tickets() -> QuerySet:
    """High-priority tickets that are not closed and have nobody assigned (empty, blank or NULL)."""
    return (
        Ticket.objects.filter(priority=Ticket.Priority.HIGH)
        .exclude(status=Ticket.Status.CLOSED)
        .alias(assignee=assignee_key())
        .filter(assignee="")
    )


def stale_closed_tickets(cutoff: datetime) -> QuerySet:
    """Closed tickets whose updated_at is missing or before `cutoff`."""
    return Ticket.objects.filter(status=Ticket.Status.CLOSED).filter(
        Q(updated_at__isnull=True) | Q(updated_at__lt=cutoff)
    )


def improperly_assigned_low_tickets() -> QuerySet:
    """Low-priority tickets in progress whose assignee is empty or a bot (trimmed, case-insensitive)."""
    return (
        Ticket.objects.filter(priority=Ticket.Priority.LOW, status=Ticket.Status.IN_PROGRESS)
        .alias(assignee=assignee_key())
        .filter(assignee__in=["", *sorted(invariants.bot_names())])
    )


def broken_tickets() -> QuerySet:
    """Tickets with any stored-row problem, each problem flagged (`title_blank`: True, ...)."""
    flags = {
        name: ExpressionWrapper(condition, output_field=BooleanField())
        for name, condition in ROW_PROBLEMS.items()
    }
    return Ticket.objects.filter(BROKEN_ROW).annotate(**flags)


def combined(*parts: CheckFindings) -> CheckFindings:
    """Findings of several queries as one: counts added, examples kept in order up to the cap."""
    examples = [example for part in parts for example in part.examples]
    return CheckFindings(sum(part.violations for part in parts), examples[:MAX_IDS])


class _UndoProbe(Exception):
    """Raised at the end of the workflow probe so that its transaction is always rolled back."""


def probe_rules() -> list[Violation]:
    """Create a high and a low ticket through the normal save path and check what the rules did.

    Everything happens in a transaction that is rolled back (a savepoint when
    the caller has one open), so no ticket, audit event or log row remains.
    """
    found: list[Violation] = []
    try:
        with transaction.atomic(), acting_as(PROBE_ACTOR, source="system"):
            created = {}
            for priority in EXPECTED_ROUTING:
                ticket = Ticket(title=f"Regression probe: new {priority}-priority ticket", priority=priority)
                ticket.save()
                created[ticket.pk] = priority
            found = _routing_problems(created)
            raise _UndoProbe
    except _UndoProbe:
        pass
    return found


def _routing_problems(created: dict[int, str]) -> list[Violation]:
    """Compare the stored probe tickets with EXPECTED_ROUTING; a rule's change must be audited too."""
    stored = Ticket.objects.filter(pk__in=created).values("id", "assigned_to", "status")
    audited = set(
        TicketEvent.objects.filter(ticket_id__in=created, actor_type="rule").values_list(
            "ticket_id", flat=True
        )
    )
    problems = []
    for row in stored:
        priority = created[row["id"]]
        expected = EXPECTED_ROUTING[priority]
        got = {name: row[name] for name in expected}
        label = f"a new {priority}-priority ticket"
        if got != expected:
            reason = f"{label} got {_described(got)}; the rules should give {_described(expected)}"
        elif row["id"] not in audited:
            reason = f"{label} was routed, but no rule event was audited"
        else:
            continue
        # The probe's tickets are rolled back: a finding about them names no stored ticket.
        problems.append(Violation(None, reason))
    return problems


def _described(values: dict) -> str:
    return " and ".join(f"{name} {value!r}" for name, value in values.items())


@register_check(
    "workflow_automation",
    "The rules fire: a new high-priority ticket goes to Senior Analyst in progress, a new low one "
    "to SupportBot; no high-priority ticket that is not closed is unassigned.",
)
def workflow_automation() -> CheckFindings:
    """The rolled-back probe, plus stored high-priority tickets left unassigned."""
    probe = probe_rules()
    stored = offending_tickets(
        unassigned_high_tickets(), lambda row: f"high priority, status {row['status']}, unassigned", "status"
    )
    return combined(CheckFindings(len(probe), probe), stored)


@register_check(
    "status_integrity",
    "Every closed ticket has an updated_at within the status window (TRIAGE_STATUS_WINDOW_DAYS, default 30).",
)
def status_integrity() -> CheckFindings:
    """Closed tickets whose updated_at is missing or older than the window."""
    now = timezone.now()
    window = settings.TRIAGE_STATUS_WINDOW_DAYS
    stale = stale_closed_tickets(now - timedelta(days=window))

    def reason(row) -> str:
        if row["updated_at"] is None:
            return "closed, with no updated_at"
        age = (now - row["updated_at"]).days
        return f"closed, last updated {row['updated_at']:%Y-%m-%d}, {age} days ago (window: {window} days)"

    return offending_tickets(stale, reason, "updated_at")


@register_check(
    "priority_escalation",
    "A low-priority ticket in progress is properly assigned: to a person or team, not empty, not a bot.",
)
def priority_escalation() -> CheckFindings:
    """Low-priority tickets in progress that are unassigned or assigned to a bot."""

    def reason(row) -> str:
        name = (row["assigned_to"] or "").strip()
        if not name:
            return "low priority in progress, unassigned"
        return f"low priority in progress, assigned to the bot {name!r}"

    return offending_tickets(improperly_assigned_low_tickets(), reason, "assigned_to")


@register_check(
    "data_consistency",
    "Every ticket has its required fields, a valid status and priority, and updated_at not before "
    "created_at; totals other apps store agree with the tickets.",
)
def data_consistency() -> CheckFindings:
    """Rows matching any stored-row problem, then every registered consistency probe."""
    values = ("status", "priority", "created_at", "updated_at")

    def reason(row) -> str:
        context = {**row, "limits": MAX_LENGTHS}
        found = [name for name in ROW_PROBLEMS if row[name]]
        return "; ".join(
            PROBLEM_MESSAGES.get(name, name.replace("_", " ")).format(**context) for name in found
        )

    rows = offending_tickets(broken_tickets(), reason, *values, *ROW_PROBLEMS)
    probed = [violation for probe in CONSISTENCY_PROBES.values() for violation in probe()]
    # A probe's findings are few and about whole tables: list them first.
    return combined(CheckFindings(len(probed), probed), rows)
