"""The four checks against planted drift: each finds the right tickets, with a reason for each."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qa import checks
from qa.registry import CHECKS, CONSISTENCY_PROBES, MAX_IDS, Violation
from qa.tests.drift import allow_nulls, insert_ticket, update_ticket, without_check_constraints
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def reasons(findings) -> dict:
    return {example.ticket_id: example.reason for example in findings.examples}


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - introspected names
            counts[table] = cursor.fetchone()[0]
        return counts


def test_the_four_checks_of_the_spec_are_registered_in_order_then_the_audit_chain():
    assert list(CHECKS) == [
        "workflow_automation",
        "status_integrity",
        "priority_escalation",
        "data_consistency",
        "audit_chain",
    ]
    assert all(check.description for check in CHECKS.values())


def test_a_clean_seeded_database_passes_every_check(settings, every_probe):
    assert "dashboard_summary" in every_probe
    settings.DEBUG = True
    call_command("seed_demo", tickets=400, days=60, seed=5, stdout=io.StringIO(), stderr=io.StringIO())
    for check in CHECKS.values():
        findings = check.function()
        assert (check.name, findings.violations, findings.examples) == (check.name, 0, [])


# --- workflow_automation ----------------------------------------------------------------


def test_the_rule_probe_finds_the_live_rules_working_and_leaves_no_row_behind():
    before = table_counts()
    assert checks.probe_rules() == []
    assert table_counts() == before
    assert not Ticket.objects.filter(title__startswith="Regression probe").exists()


@pytest.mark.django_db(transaction=True)
def test_the_rule_probe_rolls_back_a_real_transaction_too():
    """Outside any test transaction (as in production) the probe's own transaction is undone.

    (Another transactional test may have flushed the seed rules: whether they
    fire is the test above; this one is about what remains.)
    """
    before = table_counts()
    checks.probe_rules()
    assert table_counts() == before


def test_the_probe_reports_a_rule_that_no_longer_fires():
    rule = apps.get_model("automation", "Rule").objects.get(name__startswith="High priority")
    rule.enabled = False
    rule.save()  # through the model, so every process forgets its copy of the rules
    findings = CHECKS["workflow_automation"].function()
    assert findings.violations == 1
    (problem,) = findings.examples
    assert problem.ticket_id is None
    assert problem.reason == (
        "a new high-priority ticket got assigned_to '' and status 'open'; "
        "the rules should give assigned_to 'Senior Analyst' and status 'in_progress'"
    )
    assert findings.ids == []


def test_stored_high_priority_tickets_left_unassigned_are_found():
    routed = TicketFactory(priority="high")  # the rule assigned it
    open_unassigned = TicketFactory(priority="medium")
    in_progress_blank = TicketFactory(priority="medium", status="in_progress", assigned_to="Ann")
    closed = TicketFactory(priority="medium")
    update_ticket(open_unassigned.pk, priority="high")
    update_ticket(in_progress_blank.pk, priority="high", assigned_to=" \t ")
    update_ticket(closed.pk, priority="high", status="closed")
    findings = CHECKS["workflow_automation"].function()
    assert findings.violations == 2
    assert findings.ids == [open_unassigned.pk, in_progress_blank.pk]
    assert reasons(findings) == {
        open_unassigned.pk: "high priority, status open, unassigned",
        in_progress_blank.pk: "high priority, status in_progress, unassigned",
    }
    assert routed.pk not in findings.ids


# --- status_integrity -------------------------------------------------------------------


def test_closed_tickets_older_than_the_window_are_found(settings):
    settings.TRIAGE_STATUS_WINDOW_DAYS = 30
    now = timezone.now()
    stale = insert_ticket(
        status="closed", created_at=now - timedelta(days=90), updated_at=now - timedelta(days=45)
    )
    insert_ticket(status="closed", created_at=now - timedelta(days=90), updated_at=now - timedelta(days=29))
    insert_ticket(status="open", created_at=now - timedelta(days=90), updated_at=now - timedelta(days=80))
    findings = CHECKS["status_integrity"].function()
    assert findings.violations == 1
    assert findings.ids == [stale]
    assert reasons(findings)[stale] == (
        f"closed, last updated {(now - timedelta(days=45)):%Y-%m-%d}, 45 days ago (window: 30 days)"
    )


def test_the_status_window_is_a_setting(settings):
    now = timezone.now()
    ticket = insert_ticket(
        status="closed", created_at=now - timedelta(days=20), updated_at=now - timedelta(days=10)
    )
    settings.TRIAGE_STATUS_WINDOW_DAYS = 30
    assert CHECKS["status_integrity"].function().violations == 0
    settings.TRIAGE_STATUS_WINDOW_DAYS = 7
    assert CHECKS["status_integrity"].function().ids == [ticket]


def test_closed_tickets_without_updated_at_are_found():
    allow_nulls("updated_at")
    ticket = insert_ticket(ticket_id=901, status="closed", updated_at=None)
    findings = CHECKS["status_integrity"].function()
    assert (findings.violations, reasons(findings)) == (1, {ticket: "closed, with no updated_at"})


# --- priority_escalation ----------------------------------------------------------------


def test_low_priority_tickets_in_progress_without_a_proper_assignee_are_found(settings):
    settings.TRIAGE_BOT_NAMES = ["SupportBot", "TriageBot"]
    planted = {}
    for assignee in ("", "   ", "SupportBot", " supportbot ", "TRIAGEBOT"):
        ticket = TicketFactory(priority="medium")
        update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to=assignee)
        planted[ticket.pk] = assignee
    fine = TicketFactory(priority="low", status="in_progress", assigned_to="Billing team")
    open_bot = TicketFactory(priority="low")  # open, with SupportBot: allowed
    findings = CHECKS["priority_escalation"].function()
    assert findings.violations == 5
    assert findings.ids == sorted(planted)
    found = reasons(findings)
    pks = sorted(planted)
    assert found[pks[0]] == found[pks[1]] == "low priority in progress, unassigned"
    assert found[pks[2]] == "low priority in progress, assigned to the bot 'SupportBot'"
    assert found[pks[3]] == "low priority in progress, assigned to the bot 'supportbot'"
    assert found[pks[4]] == "low priority in progress, assigned to the bot 'TRIAGEBOT'"
    assert {fine.pk, open_bot.pk}.isdisjoint(findings.ids)


# --- data_consistency -------------------------------------------------------------------


def test_values_outside_the_enums_and_blank_titles_are_found():
    TicketFactory()
    with without_check_constraints():
        bad_status = insert_ticket(status="pending")
        bad_priority = insert_ticket(priority="urgent")
        blank = insert_ticket(title=" \t\n")
        empty = insert_ticket(title="")
        several = insert_ticket(title="", status="", priority="LOW")
    findings = CHECKS["data_consistency"].function()
    assert findings.violations == 5
    assert reasons(findings) == {
        bad_status: "status 'pending' is not one of open, in_progress, closed",
        bad_priority: "priority 'urgent' is not one of low, medium, high",
        blank: "title is blank",
        empty: "title is blank",
        several: "title is blank; status '' is not one of open, in_progress, closed; "
        "priority 'LOW' is not one of low, medium, high",
    }


def test_updated_before_created_and_over_long_values_are_found():
    now = timezone.now().replace(microsecond=0)
    backwards = TicketFactory()
    update_ticket(backwards.pk, created_at=now, updated_at=now - timedelta(seconds=1))
    if connection.vendor == "sqlite":  # PostgreSQL's varchar limits refuse these outright
        long_title = insert_ticket(title="x" * 201)
        long_assignee = insert_ticket(assigned_to="y" * 101)
    findings = CHECKS["data_consistency"].function()
    found = reasons(findings)
    past = now - timedelta(seconds=1)
    assert found[backwards.pk] == (
        f"updated_at {past:%Y-%m-%d %H:%M:%S} is before created_at {now:%Y-%m-%d %H:%M:%S}"
    )
    if connection.vendor == "sqlite":
        assert found[long_title] == "title is longer than 200 characters"
        assert found[long_assignee] == "assigned_to is longer than 100 characters"
        assert findings.violations == 3


def test_null_required_fields_are_found():
    columns = ("title", "description", "status", "priority", "assigned_to", "created_at", "updated_at")
    allow_nulls(*columns)
    planted = {
        insert_ticket(ticket_id=1000 + n, **{column: None}): column for n, column in enumerate(columns)
    }
    findings = CHECKS["data_consistency"].function()
    assert findings.violations == len(columns)
    assert reasons(findings) == {ticket: f"{column} is NULL" for ticket, column in planted.items()}


def test_data_consistency_runs_every_registered_probe_and_counts_its_findings(monkeypatch):
    broken = TicketFactory()
    update_ticket(broken.pk, updated_at=broken.created_at - timedelta(days=1))
    monkeypatch.setitem(
        CONSISTENCY_PROBES,
        "summary_recount",
        lambda: [Violation(None, "summary says 3 open, a recount finds 4"), Violation(7, "stale row")],
    )
    findings = CHECKS["data_consistency"].function()
    assert findings.violations == 3
    assert [example.reason for example in findings.examples[:2]] == [
        "summary says 3 open, a recount finds 4",
        "stale row",
    ]
    assert findings.ids == sorted([7, broken.pk])  # each once, lowest first, as the log schema says


def test_a_crashing_probe_makes_the_check_crash(monkeypatch):
    def broken_probe():
        raise RuntimeError("summary table missing")

    monkeypatch.setitem(CONSISTENCY_PROBES, "summary_recount", broken_probe)
    with pytest.raises(RuntimeError):
        CHECKS["data_consistency"].function()


# --- every check ----------------------------------------------------------------------------


def test_ids_are_capped_at_100_but_the_count_is_complete():
    tickets = TicketFactory.create_batch(MAX_IDS + 5)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets SET priority = 'low', status = 'in_progress', assigned_to = ''")
    findings = CHECKS["priority_escalation"].function()
    assert findings.violations == MAX_IDS + 5
    assert findings.ids == sorted(ticket.pk for ticket in tickets)[:MAX_IDS]
    assert len(findings.examples) == MAX_IDS


@pytest.mark.parametrize(
    "name, queries",
    [("status_integrity", 1), ("priority_escalation", 1), ("data_consistency", 1)],
)
def test_a_check_is_one_statement_however_much_it_finds(name, queries, django_assert_num_queries):
    for ticket in TicketFactory.create_batch(3):
        update_ticket(
            ticket.pk, status="closed", priority="low", updated_at=ticket.created_at - timedelta(days=99)
        )
    with django_assert_num_queries(queries):
        CHECKS[name].function()


def test_the_workflow_check_costs_the_same_statements_for_5_or_50_tickets():
    def statements() -> int:
        CHECKS["workflow_automation"].function()  # the rules are cached after the first run
        with CaptureQueriesContext(connection) as queries:
            CHECKS["workflow_automation"].function()
        return len(queries)

    TicketFactory.create_batch(5, priority="high")
    few = statements()
    TicketFactory.create_batch(45, priority="high")
    assert statements() == few


# --- speed: the statements are served by indexes ---------------------------------------------


def plan(queryset) -> str:
    """The database's plan for `queryset`; on PostgreSQL with sequential scans priced out.

    With a handful of rows PostgreSQL rightly prefers a table scan; turning
    that off shows whether an index *can* serve the statement, as it must at
    a million rows (bench/regression.py measures that).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.parametrize(
    "queryset, index",
    [
        (lambda: checks.unassigned_high_tickets(), "tickets_routing_idx"),
        (lambda: checks.improperly_assigned_low_tickets(), "tickets_routing_idx"),
        (lambda: checks.stale_closed_tickets(timezone.now()), "tickets_status_updated_idx"),
        (lambda: checks.broken_tickets(), "tickets_broken_rows_idx"),
    ],
    ids=["workflow_automation", "priority_escalation", "status_integrity", "data_consistency"],
)
def test_each_check_statement_is_served_by_an_index(queryset, index):
    TicketFactory.create_batch(3)
    assert index in plan(checks.first_offenders(queryset(), "status"))


def test_nulls_planted_behind_the_model_are_reported_with_the_dashboards_probe_on(every_probe):
    TicketFactory(priority="medium", assigned_to="Dana")  # counted by the summary
    allow_nulls("assigned_to", "status")
    planted = insert_ticket(ticket_id=950, assigned_to=None, status=None)
    findings = CHECKS["data_consistency"].function()  # no crash comparing None with names

    assert planted in findings.ids
    probe_reasons = [example.reason for example in findings.examples if example.ticket_id is None]
    assert any("tickets assigned to (unassigned), tickets say 1" in reason for reason in probe_reasons)
    assert any(
        reason.startswith("dashboard summary counts 0 None/medium tickets") for reason in probe_reasons
    ), probe_reasons
