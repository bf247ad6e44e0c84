"""`manage.py run_regression`: the table, --check, --log-dir, --format json, and the exit status."""

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import OperationalError

from qa import runner
from qa.models import RegressionRun
from qa.registry import CHECKS, Check
from qa.tests.drift import update_ticket
from qa.tests.log_validation import RUN_LOG
from qa.tests.stored import stored_runs
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

COMMAND = "manage.py run_regression"  # who a run started from the command line was triggered by


def run(*args) -> tuple[int, str]:
    """Call the command; return (exit status, stdout)."""
    out = io.StringIO()
    try:
        call_command("run_regression", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def plant_escalation_violation() -> int:
    ticket = TicketFactory(priority="medium")
    update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="supportbot")
    return ticket.pk


def test_all_checks_pass_on_clean_data_with_a_table_and_exit_status_0(log_dir):
    TicketFactory.create_batch(3, priority="high")
    status, out = run()
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["check", "result", "violations", "duration"]
    for line, name in zip(lines[1 : 1 + len(CHECKS)], CHECKS, strict=True):
        assert line.split()[:3] == [name, "pass", "0"]
        assert line.endswith(" ms")
    (log,) = log_dir.glob("run-*.json")
    assert lines[-1].startswith("PASSED: all 5 checks passed in ")
    assert lines[-1].endswith(f"Log: {log}")
    assert stored_runs() == [("passed", 0, COMMAND, [(name, "passed", 0, []) for name in CHECKS])]
    assert RegressionRun.objects.get().log_file == str(log)


def test_a_violation_exits_1_and_prints_the_offending_tickets():
    ticket_id = plant_escalation_violation()
    status, out = run()
    assert status == 1
    assert out.splitlines()[3].split()[:3] == ["priority_escalation", "FAIL", "1"]
    assert f"#{ticket_id}  low priority in progress, assigned to the bot 'supportbot'" in out
    assert "FAILED: 1 of 5 checks did not pass; failed: priority_escalation (1 violation)." in out
    ((outcome, violations, _, checks),) = stored_runs()
    assert (outcome, violations) == ("failed", 1)
    assert ("priority_escalation", "failed", 1, [ticket_id]) in checks


def test_a_long_list_of_violations_is_cut_short_with_a_pointer_to_the_log():
    tickets = TicketFactory.create_batch(7, priority="medium")
    for ticket in tickets:
        update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="")
    status, out = run("--check", "priority_escalation")
    assert status == 1
    assert "priority_escalation: 7 violations" in out
    assert out.count("low priority in progress, unassigned") == 5
    assert "  … and 2 more (the log file lists the first 100)" in out
    ids = sorted(ticket.pk for ticket in tickets)
    assert stored_runs() == [("failed", 7, COMMAND, [("priority_escalation", "failed", 7, ids)])]


def test_a_crashing_check_exits_2_and_the_others_still_run(monkeypatch):
    def crashing():
        raise RuntimeError("boom")

    monkeypatch.setitem(CHECKS, "data_consistency", Check("data_consistency", "x", crashing))
    status, out = run()
    assert status == 2
    assert out.splitlines()[4].split()[:3] == ["data_consistency", "ERROR", "-"]
    assert "data_consistency could not run: RuntimeError: boom" in out
    assert RegressionRun.objects.get().checks.filter(outcome="passed").count() == len(CHECKS) - 1


def test_check_runs_a_subset_and_log_dir_moves_the_logs(tmp_path, log_dir):
    elsewhere = tmp_path / "elsewhere"
    status, out = run(
        "--check", "priority_escalation", "--check", "status_integrity", "--log-dir", str(elsewhere)
    )
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()[1:3]] == ["status_integrity", "priority_escalation"]
    assert "workflow_automation" not in out
    (path,) = elsewhere.glob("run-*.json")
    assert [check["name"] for check in json.loads(path.read_text())["checks"]] == [
        "status_integrity",
        "priority_escalation",
    ]
    both = [("status_integrity", "passed", 0, []), ("priority_escalation", "passed", 0, [])]
    assert stored_runs() == [("passed", 0, COMMAND, both)]
    assert RegressionRun.objects.get().log_file == str(path)
    assert (elsewhere / "summary.json").exists()
    assert not log_dir.exists()


def test_format_json_prints_the_run_log_for_pipelines(log_dir):
    ticket_id = plant_escalation_violation()
    status, out = run("--format", "json")
    assert status == 1
    printed = json.loads(out)
    RUN_LOG.validate(printed)
    (path,) = log_dir.glob("run-*.json")
    assert printed == json.loads(path.read_text())
    assert printed["checks"][2]["ids"] == [ticket_id]
    stored = RegressionRun.objects.get()
    assert (str(stored.run_id), stored.outcome, stored.violations) == (printed["run_id"], "failed", 1)


def test_an_unknown_check_is_a_clear_error_with_exit_status_2(log_dir):
    with pytest.raises(CommandError) as refused:
        call_command("run_regression", "--check", "stauts_integrity")
    assert refused.value.returncode == 2
    assert str(refused.value) == (
        "Unknown check 'stauts_integrity'. Known checks: workflow_automation, status_integrity, "
        "priority_escalation, data_consistency, audit_chain."
    )
    assert not RegressionRun.objects.exists()


def test_an_unwritable_log_dir_is_a_clear_error_with_exit_status_2(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(CommandError) as refused:
        call_command("run_regression", "--log-dir", str(blocker / "logs"))
    assert refused.value.returncode == 2
    assert str(refused.value).startswith(
        f"Could not run: cannot write regression logs to {blocker / 'logs'}: "
    )
    assert not RegressionRun.objects.exists()


def test_a_database_failure_while_storing_the_run_exits_2_without_a_log(monkeypatch, log_dir):
    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(runner, "store_run", database_gone)
    with pytest.raises(CommandError) as refused:
        call_command("run_regression")
    assert refused.value.returncode == 2
    assert (
        str(refused.value) == "Could not run: the database failed: server closed the connection unexpectedly"
    )
    assert list(log_dir.glob("run-*.json")) == []
    assert stored_runs() == []


def test_the_process_exit_status_is_0_1_or_2(tmp_path):
    """The real command line, on a database of its own: what cron and CI see."""
    database = tmp_path / "cli.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TRIAGE_LOG_DIR": str(tmp_path / "logs"),
    }

    def manage(*args) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=Path(django_settings.BASE_DIR),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert manage("migrate", "--no-input", "-v", "0").returncode == 0
    passed = manage("run_regression")
    assert (passed.returncode, passed.stderr) == (0, "")
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO tickets (title, description, status, priority, created_at, updated_at, assigned_to,"
            " source, external_id, version) VALUES ('Stuck', '', 'in_progress', 'low', '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00', '', 'system', '', 1)"
        )
    failed = manage("run_regression", "--check", "priority_escalation")
    assert failed.returncode == 1
    assert "FAILED" in failed.stdout
    unknown = manage("run_regression", "--check", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "CommandError: Unknown check 'nope'. Known checks: workflow_automation, status_integrity, "
        "priority_escalation, data_consistency, audit_chain."
    )
    assert "Traceback" not in unknown.stderr
