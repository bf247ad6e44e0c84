"""Running the regression suite: the selected checks, their outcomes, the stored run and its logs.

Used by `manage.py run_regression` and by the admin's "run now". A check
that crashes is an `error` outcome for that check; the others still run,
and the run is stored and logged as usual.
"""

import logging
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from qa import reports
from qa.models import CheckResult, RegressionRun
from qa.registry import Check, CheckFindings, selected_checks

log = logging.getLogger(__name__)

Outcome = RegressionRun.Outcome
EXIT_CODES = {Outcome.PASSED: 0, Outcome.FAILED: 1, Outcome.ERROR: 2}


@dataclass
class CheckOutcome:
    """What one check found, how long it took, or why it could not run."""

    name: str
    description: str
    outcome: str
    findings: CheckFindings
    duration_ms: float
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED


@dataclass
class RunReport:
    """A finished run: its checks' outcomes, where its log went, and its stored row."""

    run_id: uuid.UUID
    started_at: datetime
    finished_at: datetime
    checks: list[CheckOutcome]
    log_file: Path | None = None
    run: RegressionRun | None = field(default=None, repr=False)

    @property
    def outcome(self) -> str:
        """`error` if any check could not run, else `failed` if any found violations, else `passed`."""
        outcomes = {check.outcome for check in self.checks}
        for worst in (Outcome.ERROR, Outcome.FAILED):
            if worst in outcomes:
                return worst
        return Outcome.PASSED

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED

    @property
    def exit_code(self) -> int:
        """0 when every check passed, 1 when any failed, 2 when any could not run."""
        return EXIT_CODES[self.outcome]

    @property
    def violations(self) -> int:
        return sum(check.findings.violations for check in self.checks)

    def verdict(self) -> str:
        """One line: PASSED, FAILED or ERROR, and which checks."""
        total = len(self.checks)
        if self.passed:
            seconds = (self.finished_at - self.started_at).total_seconds()
            return f"PASSED: all {total} checks passed in {seconds:.2f} s."
        errors = [check.name for check in self.checks if check.outcome == Outcome.ERROR]
        failed = [
            f"{check.name} ({_violations(check.findings.violations)})"
            for check in self.checks
            if check.outcome == Outcome.FAILED
        ]
        parts = []
        if errors:
            parts.append(f"could not run: {', '.join(errors)}")
        if failed:
            parts.append(f"failed: {', '.join(failed)}")
        bad = len(errors) + len(failed)
        return f"{self.outcome.upper()}: {bad} of {total} checks did not pass; {'; '.join(parts)}."


def _violations(count: int) -> str:
    return f"{count:,} violation" + ("" if count == 1 else "s")


def run_regression(
    names: list[str] | None = None, *, log_dir: Path | str | None = None, triggered_by: str = ""
) -> RunReport:
    """Run the named checks (all when none), store the run, write its log and refresh the summary.

    Raises `UnknownCheck` for a name nothing registered and `reports.LogDirectoryError`
    when the log directory cannot be written, both before any check runs; a log
    write that fails afterwards also raises `LogDirectoryError`, and then the run
    is not stored either.
    """
    checks = selected_checks(names)
    directory = reports.prepare_log_dir(Path(log_dir or settings.TRIAGE_LOG_DIR))
    run_id = uuid.uuid4()
    started_at = timezone.now()
    outcomes = [run_check(check) for check in checks]
    report = RunReport(run_id, started_at, timezone.now(), outcomes)
    report.log_file = directory / reports.run_log_name(started_at)
    # The stored run and its files go together: if a file cannot be written
    # the run is not stored either, and the caller hears why.
    try:
        with transaction.atomic():
            report.run = store_run(report, triggered_by=triggered_by)
            reports.write_run_log(report)
            reports.write_summary(directory, report)
    except OSError as error:
        report.log_file.unlink(missing_ok=True)
        raise reports.LogDirectoryError(
            f"cannot write regression logs to {directory}: {error.strerror or error}"
        ) from error
    return report


def run_check(check: Check) -> CheckOutcome:
    """Run one check, timing it; an exception becomes an `error` outcome instead of ending the run."""
    started = time.perf_counter()
    try:
        with _contained():
            findings = check.function()
    except Exception as error:
        log.exception("regression check %s could not run", check.name)
        return CheckOutcome(
            check.name,
            check.description,
            Outcome.ERROR,
            CheckFindings(0, []),
            _elapsed_ms(started),
            error=f"{type(error).__name__}: {error}",
        )
    outcome = Outcome.PASSED if findings.violations == 0 else Outcome.FAILED
    return CheckOutcome(check.name, check.description, outcome, findings, _elapsed_ms(started))


def _contained():
    """A savepoint around a check when the caller has a transaction open.

    On PostgreSQL a failed statement aborts the whole enclosing transaction;
    the savepoint keeps the next checks (and storing the run) working. With
    no transaction open a check runs bare: on SQLite an atomic block would
    take the write lock (BEGIN IMMEDIATE) for a read-only check.
    """
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def store_run(report: RunReport, *, triggered_by: str) -> RegressionRun:
    """Save the run and one CheckResult per check (two inserts)."""
    run = RegressionRun.objects.create(
        run_id=report.run_id,
        started_at=report.started_at,
        finished_at=report.finished_at,
        passed=report.passed,
        outcome=report.outcome,
        violations=report.violations,
        log_file=str(report.log_file or ""),
        triggered_by=triggered_by[:150],
    )
    CheckResult.objects.bulk_create(
        [
            CheckResult(
                run=run,
                name=check.name,
                description=check.description[:300],
                passed=check.passed,
                outcome=check.outcome,
                violations=check.findings.violations,
                ids=check.findings.ids,
                details=reports.details(check.findings),
                duration_ms=check.duration_ms,
                error=check.error,
            )
            for check in report.checks
        ]
    )
    return run
