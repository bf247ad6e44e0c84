"""Regression runs in admin: read-only history, the outcome filter, and starting a run."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qa.models import CheckResult, RegressionRun
from qa.registry import CHECKS, Check
from qa.runner import run_regression
from qa.tests.drift import update_ticket
from qa.tests.stored import every_run_row, stored_runs
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:qa_regressionrun_changelist")
START = reverse("admin:qa_regressionrun_start")


def failing_run():
    ticket = TicketFactory(priority="medium")
    update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="")
    report = run_regression(triggered_by="cron")
    return report.run, ticket.pk


def test_analysts_see_the_runs_with_their_outcomes(analyst_client):
    run_regression(triggered_by="cron")
    failed, _ = failing_run()
    page = analyst_client.get(CHANGELIST)
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [failed, RegressionRun.objects.get(outcome="passed")]
    assert b"priority_escalation failed (1)" in page.content
    assert b"Run the regression suite" in page.content


def test_the_list_filters_by_outcome(admin_client):
    run_regression()
    failed, _ = failing_run()
    page = admin_client.get(CHANGELIST, {"outcome": "failed"})
    assert list(page.context["cl"].result_list) == [failed]


def test_the_list_costs_the_same_queries_for_2_or_12_runs(admin_client):
    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(queries)

    for _ in range(2):
        run_regression()
    few = statements()
    for _ in range(10):
        run_regression(["status_integrity"])
    assert statements() == few


def test_a_run_shows_each_check_with_the_reason_per_ticket_read_only(analyst_client):
    run, ticket_id = failing_run()
    page = analyst_client.get(reverse("admin:qa_regressionrun_change", args=[run.pk]))
    assert page.status_code == 200
    assert f"#{ticket_id}: low priority in progress, unassigned".encode() in page.content
    assert b'name="_save"' not in page.content
    before = every_run_row()
    assert analyst_client.post(reverse("admin:qa_regressionrun_delete", args=[run.pk])).status_code == 403
    assert analyst_client.get(reverse("admin:qa_regressionrun_add")).status_code == 403
    assert every_run_row() == before


def test_even_admins_cannot_edit_or_delete_a_run(admin_client):
    run, _ = failing_run()
    page = admin_client.get(reverse("admin:qa_regressionrun_change", args=[run.pk]))
    assert b'name="_save"' not in page.content
    before = every_run_row()
    assert admin_client.post(reverse("admin:qa_regressionrun_delete", args=[run.pk])).status_code == 403
    change = reverse("admin:qa_regressionrun_change", args=[run.pk])
    assert admin_client.post(change, {"outcome": "passed"}).status_code == 403
    assert admin_client.get(reverse("admin:qa_regressionrun_add")).status_code == 403
    assert every_run_row() == before


def test_the_start_page_offers_every_check(analyst_client):
    page = analyst_client.get(START)
    assert page.status_code == 200
    for name in ("workflow_automation", "status_integrity", "priority_escalation", "data_consistency"):
        assert f'value="{name}"'.encode() in page.content
    assert not RegressionRun.objects.exists()


@pytest.mark.parametrize("client_fixture, username", [("admin_client", "alice"), ("analyst_client", "bob")])
def test_admins_and_analysts_start_a_run(request, client_fixture, username, log_dir):
    client = request.getfixturevalue(client_fixture)
    response = client.post(START, {"checks": ["status_integrity", "priority_escalation"]})
    run = RegressionRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:qa_regressionrun_change", args=[run.pk])
    assert (run.triggered_by, run.outcome) == (username, "passed")
    assert list(run.checks.values_list("name", flat=True)) == ["status_integrity", "priority_escalation"]
    assert len(list(log_dir.glob("run-*.json"))) == 1
    (message,) = get_messages(response.wsgi_request)
    assert str(message).startswith("PASSED: all 2 checks passed")


def test_a_failed_run_started_from_admin_says_so(admin_client):
    ticket = TicketFactory(priority="medium")
    update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="")
    response = admin_client.post(START, {"checks": ["priority_escalation"]}, follow=True)
    assert (
        b"FAILED: 1 of 1 checks did not pass; failed: priority_escalation (1 violation)." in response.content
    )
    assert f"#{ticket.pk}: low priority in progress, unassigned".encode() in response.content
    assert stored_runs() == [("failed", 1, "alice", [("priority_escalation", "failed", 1, [ticket.pk])])]


def test_choosing_no_check_runs_nothing(admin_client):
    response = admin_client.post(START, {})
    assert response.status_code == 200
    assert b"Choose at least one check." in response.content
    response = admin_client.post(START, {"checks": ["no_such_check"]})
    assert b"Select a valid choice." in response.content
    assert not RegressionRun.objects.exists()


def test_an_unwritable_log_directory_is_reported_and_nothing_is_stored(admin_client, settings, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    settings.TRIAGE_LOG_DIR = blocker / "logs"
    response = admin_client.post(START, {"checks": ["status_integrity"]}, follow=True)
    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert b"Could not run: cannot write regression logs to" in response.content
    assert not RegressionRun.objects.exists()


def test_support_has_no_admin_and_cannot_start_a_run(support_client):
    for response in (support_client.get(START), support_client.post(START, {"checks": ["status_integrity"]})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert support_client.get(CHANGELIST).status_code == 302
    assert not RegressionRun.objects.exists()
    assert not CheckResult.objects.exists()


def test_staff_without_the_permission_cannot_start_a_run(client):
    clerk = get_user_model().objects.create_user("dave", password="pw-for-tests-only", is_staff=True)
    client.force_login(clerk)
    assert client.post(START, {"checks": ["status_integrity"]}).status_code == 403
    assert b"Run the regression suite" not in client.get(CHANGELIST).content
    assert not RegressionRun.objects.exists()


def test_a_run_with_a_crashing_check_is_stored_as_an_error(admin_client, monkeypatch):
    def crashing():
        raise RuntimeError("boom")

    monkeypatch.setitem(CHECKS, "status_integrity", Check("status_integrity", "x", crashing))
    response = admin_client.post(START, {"checks": ["status_integrity", "data_consistency"]}, follow=True)
    assert b"ERROR: 1 of 2 checks did not pass; could not run: status_integrity." in response.content
    assert b"RuntimeError: boom" in response.content
    assert RegressionRun.objects.get().outcome == "error"
    assert stored_runs() == [
        ("error", 0, "alice", [("status_integrity", "error", 0, []), ("data_consistency", "passed", 0, [])])
    ]
