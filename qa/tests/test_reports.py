"""The JSON log of each run and summary.json: names, required fields, the schema, atomic writes."""

import json
import stat
from datetime import UTC, datetime, timedelta, timezone

import jsonschema
import pytest

from qa import reports
from qa.runner import run_regression
from qa.tests.drift import update_ticket
from qa.tests.log_validation import RUN_LOG, assert_logs_valid
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_the_log_file_is_named_after_the_start_in_utc():
    moment = datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=timezone(timedelta(hours=2)))
    assert reports.run_log_name(moment) == "run-20260304T030607000089Z.json"
    assert reports.run_log_name(datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == (
        "run-20261231T235959999999Z.json"
    )


def test_a_run_writes_its_log_with_the_fields_of_the_spec(log_dir):
    ticket = TicketFactory(priority="medium")
    update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="")
    report = run_regression()
    (path,) = log_dir.glob("run-*.json")
    assert path == report.log_file
    log = json.loads(path.read_text())
    assert {"run_id", "started_at", "finished_at", "passed", "checks"} <= set(log)
    assert (log["run_id"], log["passed"], log["outcome"], log["violations"]) == (
        str(report.run_id), False, "failed", 1,
    )  # fmt: skip
    assert log["started_at"] == report.started_at.isoformat()
    assert log["finished_at"] >= log["started_at"]
    escalation = next(check for check in log["checks"] if check["name"] == "priority_escalation")
    assert escalation == {
        "name": "priority_escalation",
        "description": escalation["description"],
        "passed": False,
        "outcome": "failed",
        "violations": 1,
        "ids": [ticket.pk],
        "details": [{"id": ticket.pk, "reason": "low priority in progress, unassigned"}],
        "notes": [],
        "duration_ms": escalation["duration_ms"],
        "error": None,
    }
    assert escalation["description"].startswith("A low-priority ticket in progress is properly assigned")
    assert isinstance(escalation["duration_ms"], float)
    assert assert_logs_valid(log_dir) == 1


def test_the_summary_counts_every_stored_run_and_shows_the_latest(log_dir, monkeypatch):
    run_regression()
    run_regression(["status_integrity"])
    ticket = TicketFactory(priority="medium")
    update_ticket(ticket.pk, priority="low", status="in_progress", assigned_to="")
    latest = run_regression()
    summary = json.loads((log_dir / "summary.json").read_text())
    assert summary["totals"] == {"runs": 3, "passed": 2, "failed": 1, "error": 0}
    assert summary["checks"]["status_integrity"] == {"runs": 3, "passed": 3, "failed": 0, "error": 0}
    assert summary["checks"]["priority_escalation"] == {"runs": 2, "passed": 1, "failed": 1, "error": 0}
    assert summary["latest"]["run_id"] == str(latest.run_id)
    assert summary["latest"]["log_file"] == latest.log_file.name
    assert (summary["latest"]["outcome"], summary["latest"]["passed"], summary["latest"]["violations"]) == (
        "failed", False, 1,
    )  # fmt: skip
    assert [check["name"] for check in summary["latest"]["checks"] if not check["passed"]] == [
        "priority_escalation"
    ]
    assert assert_logs_valid(log_dir) == 3


def test_log_files_are_readable_by_others_and_no_temporary_file_is_left(log_dir):
    run_regression()
    for path in log_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(path.name for path in log_dir.iterdir())[-1] == "summary.json"
    assert len(list(log_dir.iterdir())) == 2


def test_a_missing_log_directory_is_created_with_its_parents(tmp_path):
    deep = tmp_path / "a" / "b" / "logs"
    report = run_regression(log_dir=deep)
    assert report.log_file.parent == deep
    assert (deep / "summary.json").exists()
    assert_logs_valid(deep)


def test_the_schema_refuses_a_log_that_lacks_a_spec_field(log_dir):
    run_regression(["status_integrity"])
    (path,) = log_dir.glob("run-*.json")
    log = json.loads(path.read_text())
    del log["checks"][0]["ids"]
    with pytest.raises(jsonschema.ValidationError, match="'ids' is a required property"):
        RUN_LOG.validate(log)
    log = json.loads(path.read_text())
    log["checks"][0]["ids"] = list(range(1, 102))
    with pytest.raises(jsonschema.ValidationError, match="is too long"):
        RUN_LOG.validate(log)
