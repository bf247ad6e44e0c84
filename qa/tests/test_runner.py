"""Running the suite: outcomes, the stored run, a crashing check, and refusals before anything runs."""

import pytest
from django.db import connection

from qa import reports
from qa.models import CheckResult, RegressionRun
from qa.registry import CHECKS, Check, UnknownCheck
from qa.runner import run_regression
from qa.tests.drift import update_ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ALL = ["workflow_automation", "status_integrity", "priority_escalation", "data_consistency", "audit_chain"]


def plant_escalation_violation() -> int:
    ticket = TicketFactory(priority="medium")
    update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="SupportBot")
    return ticket.pk


def crash_check(monkeypatch, name: str, error: Exception) -> None:
    def crashing():
        raise error

    monkeypatch.setitem(CHECKS, name, Check(name, CHECKS[name].description, crashing))


def test_a_clean_run_passes_and_is_stored_with_each_check(log_dir):
    TicketFactory.create_batch(3)
    report = run_regression(triggered_by="cron")
    assert (report.outcome, report.passed, report.exit_code, report.violations) == ("passed", True, 0, 0)
    run = RegressionRun.objects.get()
    assert (run.run_id, run.outcome, run.passed, run.violations, run.triggered_by) == (
        report.run_id, "passed", True, 0, "cron",
    )  # fmt: skip
    assert (run.started_at, run.finished_at) == (report.started_at, report.finished_at)
    assert run.log_file == str(log_dir / reports.run_log_name(report.started_at))
    results = list(run.checks.values_list("name", "outcome", "passed", "violations", "ids", "error"))
    assert results == [(name, "passed", True, 0, [], "") for name in ALL]
    assert all(result.duration_ms >= 0 for result in CheckResult.objects.all())
    assert report.verdict().startswith("PASSED: all 5 checks passed in ")


def test_a_failing_check_fails_the_run_and_keeps_its_ids_and_reasons():
    ticket_id = plant_escalation_violation()
    report = run_regression()
    assert (report.outcome, report.exit_code, report.violations) == ("failed", 1, 1)
    result = CheckResult.objects.get(name="priority_escalation")
    assert (result.outcome, result.passed, result.violations, result.ids) == ("failed", False, 1, [ticket_id])
    assert result.details == [
        {"id": ticket_id, "reason": "low priority in progress, assigned to the bot 'SupportBot'"}
    ]
    assert RegressionRun.objects.get().outcome == "failed"
    assert (
        report.verdict() == "FAILED: 1 of 5 checks did not pass; failed: priority_escalation (1 violation)."
    )


def test_a_crashing_check_is_an_error_while_the_others_still_run_and_are_logged(monkeypatch, log_dir):
    crash_check(monkeypatch, "status_integrity", RuntimeError("boom"))
    plant_escalation_violation()
    report = run_regression()
    assert (report.outcome, report.exit_code) == ("error", 2)
    outcomes = dict(CheckResult.objects.values_list("name", "outcome"))
    assert outcomes == {
        "workflow_automation": "passed",
        "status_integrity": "error",
        "priority_escalation": "failed",
        "data_consistency": "passed",
        "audit_chain": "passed",
    }
    crashed = CheckResult.objects.get(name="status_integrity")
    assert (crashed.error, crashed.passed, crashed.violations) == ("RuntimeError: boom", False, 0)
    assert report.log_file.exists()
    assert report.verdict() == (
        "ERROR: 2 of 5 checks did not pass; could not run: status_integrity; "
        "failed: priority_escalation (1 violation)."
    )


def test_a_check_whose_sql_fails_leaves_the_next_checks_and_the_stored_run_working(monkeypatch):
    """On PostgreSQL a failed statement would abort the caller's transaction without a savepoint."""

    def bad_sql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM tickets")

    monkeypatch.setitem(CHECKS, "workflow_automation", Check("workflow_automation", "x", bad_sql))
    report = run_regression()
    assert [check.outcome for check in report.checks] == ["error", "passed", "passed", "passed", "passed"]
    assert RegressionRun.objects.get().outcome == "error"


def test_a_subset_runs_only_the_named_checks_in_registry_order():
    report = run_regression(["data_consistency", "status_integrity", "data_consistency"])
    assert [check.name for check in report.checks] == ["status_integrity", "data_consistency"]
    assert list(CheckResult.objects.values_list("name", flat=True)) == [
        "status_integrity",
        "data_consistency",
    ]


def test_unknown_check_names_are_refused_before_anything_runs(log_dir):
    with pytest.raises(UnknownCheck) as refused:
        run_regression(["status_integrity", "nope", "nada"])
    assert str(refused.value) == (
        "Unknown check 'nope', 'nada'. Known checks: workflow_automation, status_integrity, "
        "priority_escalation, data_consistency, audit_chain."
    )
    assert not RegressionRun.objects.exists()
    assert not log_dir.exists()


def test_an_unwritable_log_directory_is_refused_before_anything_runs(tmp_path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a directory")
    with pytest.raises(reports.LogDirectoryError) as refused:
        run_regression(log_dir=in_the_way / "logs")
    assert str(refused.value).startswith(f"cannot write regression logs to {in_the_way / 'logs'}: ")
    assert not RegressionRun.objects.exists()


def test_when_a_log_file_cannot_be_written_the_run_is_not_stored(monkeypatch, log_dir):
    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports, "write_summary", disk_full)
    with pytest.raises(reports.LogDirectoryError, match="No space left on device"):
        run_regression()
    assert not RegressionRun.objects.exists()
    assert list(log_dir.iterdir()) == []
