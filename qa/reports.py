"""The run's JSON documents: `run-<UTC time>.json` per run and `summary.json` across runs.

Both are written to a temporary file in the same directory and renamed into
place, so a reader (CI, a dashboard, `jq` in cron) never sees half a file.
The run log's shape is `qa/schemas/run-log.schema.json`; the summary's is
`qa/schemas/summary.schema.json`.
"""

import json
import os
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from django.db.models import Count

from qa.models import CheckResult, RegressionRun
from qa.registry import CheckFindings

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SUMMARY_NAME = "summary.json"


class LogDirectoryError(OSError):
    """The log directory cannot be created or written to."""


def run_log_name(started_at: datetime) -> str:
    """`run-YYYYMMDDTHHMMSSffffffZ.json`, from the run's start in UTC."""
    return f"run-{started_at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.json"


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with its offset, as every time in the logs is written."""
    return moment.astimezone(UTC).isoformat()


def details(findings: CheckFindings) -> list[dict]:
    """The reason for each reported violation: `[{"id": ticket id or null, "reason": ...}]`."""
    return [{"id": example.ticket_id, "reason": example.reason} for example in findings.examples]


def run_fields(report) -> dict:
    """What identifies a run and its verdict, in the run log and in the summary's `latest` alike."""
    return {
        "run_id": str(report.run_id),
        "started_at": timestamp(report.started_at),
        "finished_at": timestamp(report.finished_at),
        "passed": report.passed,
        "outcome": report.outcome,
        "violations": report.violations,
    }


def run_document(report) -> dict:
    """The run as the log file and `run_regression --format json` show it (the required fields and more)."""
    return {
        **run_fields(report),
        "checks": [
            {
                "name": check.name,
                "description": check.description,
                "passed": check.passed,
                "outcome": check.outcome,
                "violations": check.findings.violations,
                "ids": check.findings.ids,
                "details": details(check.findings),
                "notes": check.findings.notes,
                "duration_ms": check.duration_ms,
                "error": check.error or None,
            }
            for check in report.checks
        ],
    }


def summary_document(report) -> dict:
    """Totals over every stored run (and per check), plus the latest run's outcome."""
    runs = dict(RegressionRun.objects.values_list("outcome").annotate(n=Count("id")).order_by())
    per_check: dict[str, dict[str, int]] = defaultdict(dict)
    results = CheckResult.objects.values_list("name", "outcome").annotate(n=Count("id")).order_by("name")
    for name, outcome, count in results:
        per_check[name][outcome] = count
    return {
        "updated_at": timestamp(report.finished_at),
        "totals": _tally(runs),
        "checks": {name: _tally(counts) for name, counts in per_check.items()},
        "latest": {
            **run_fields(report),
            "log_file": report.log_file.name if report.log_file else None,
            "checks": [
                {
                    "name": check.name,
                    "passed": check.passed,
                    "outcome": check.outcome,
                    "violations": check.findings.violations,
                }
                for check in report.checks
            ],
        },
    }


def _tally(counts: dict[str, int]) -> dict[str, int]:
    """`{"runs", "passed", "failed", "error"}` from run counts per outcome."""
    by_outcome = {outcome: counts.get(outcome, 0) for outcome in RegressionRun.Outcome.values}
    return {"runs": sum(by_outcome.values()), **by_outcome}


def prepare_log_dir(path: Path) -> Path:
    """Create the log directory if needed and make sure files can be written in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as error:
        raise LogDirectoryError(
            f"cannot write regression logs to {path}: {error.strerror or error}. "
            "Choose another directory with --log-dir (or TRIAGE_LOG_DIR)."
        ) from error
    return path


def write_run_log(report) -> None:
    """Write the run's log file (`report.log_file`)."""
    write_json_atomically(report.log_file, run_document(report))


def write_summary(directory: Path, report) -> Path:
    """Refresh `summary.json` in `directory` from the stored runs and this one."""
    path = directory / SUMMARY_NAME
    write_json_atomically(path, summary_document(report))
    return path


def write_json_atomically(path: Path, document: dict) -> None:
    """Write `document` to a temporary file beside `path`, then rename it over `path`."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed or removed
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        # NamedTemporaryFile is private (0600); logs are meant to be read by CI and colleagues.
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
