"""`python manage.py run_regression`: the business-rule checks against the live database."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from qa.registry import CHECKS, MAX_IDS, CheckFindings, UnknownCheck
from qa.reports import LogDirectoryError, run_document
from qa.runner import RunReport, run_regression

# Reasons shown per failing check under the table; the log file has up to 100.
SHOWN_REASONS = 5


class Command(BaseCommand):
    help = (
        "Run the regression checks against the configured database, write test_logs/run-<time>.json "
        "and summary.json. Exit status: 0 all passed, 1 a check failed, 2 the suite could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="append",
            dest="checks",
            metavar="NAME",
            help=f"Run only this check (repeatable). Known: {', '.join(CHECKS)}.",
        )
        parser.add_argument(
            "--log-dir", help="Where to write the run log and summary.json (default: TRIAGE_LOG_DIR)."
        )
        parser.add_argument(
            "--format",
            dest="output_format",
            choices=("table", "json"),
            default="table",
            help="table (readable, the default) or json (the run's log document, for pipelines).",
        )

    def handle(self, *args, checks, log_dir, output_format, **options):
        try:
            report = run_regression(checks, log_dir=log_dir, triggered_by="manage.py run_regression")
        except UnknownCheck as error:
            raise CommandError(str(error), returncode=2) from error
        except LogDirectoryError as error:
            raise CommandError(f"Could not run: {error}", returncode=2) from error
        except DatabaseError as error:
            raise CommandError(f"Could not run: the database failed: {error}", returncode=2) from error
        if output_format == "json":
            self.stdout.write(json.dumps(run_document(report), indent=2, ensure_ascii=False))
        else:
            self.write_table(report)
        if report.exit_code:
            sys.exit(report.exit_code)

    def write_table(self, report: RunReport) -> None:
        """The checks as a table, the reasons of those that failed, and a one-line verdict."""
        width = max([len("check"), *(len(check.name) for check in report.checks)])
        self.stdout.write(f"{'check':<{width}}  {'result':<6}  {'violations':>10}  {'duration':>11}")
        for check in report.checks:
            violations = "-" if check.error else f"{check.findings.violations:,}"
            self.stdout.write(
                f"{check.name:<{width}}  {self.result(check.outcome)}  {violations:>10}  "
                f"{check.duration_ms:>8.1f} ms"
            )
        for check in report.checks:
            if check.error:
                self.stdout.write(f"\n{check.name} could not run: {check.error}")
            elif check.findings.violations:
                self.write_reasons(check.name, check.findings)
            for note in [] if check.error else check.findings.notes:
                self.stdout.write(f"\n{check.name}: note: {note}")
        self.stdout.write("")
        style = self.style.SUCCESS if report.passed else self.style.ERROR
        self.stdout.write(style(f"{report.verdict()} Log: {report.log_file}"))

    def write_reasons(self, name: str, findings: CheckFindings) -> None:
        """The first few offending tickets of a failed check, and where to find the rest."""
        count = findings.violations
        self.stdout.write(f"\n{name}: {count:,} violation{'' if count == 1 else 's'}")
        shown = findings.examples[:SHOWN_REASONS]
        for example in shown:
            subject = "-" if example.ticket_id is None else f"#{example.ticket_id}"
            self.stdout.write(f"  {subject:>8}  {example.reason}")
        if count > len(shown):
            self.stdout.write(f"  … and {count - len(shown):,} more (the log file lists the first {MAX_IDS})")

    def result(self, outcome: str) -> str:
        text = {"passed": "pass", "failed": "FAIL", "error": "ERROR"}[outcome]
        style = {"passed": self.style.SUCCESS, "failed": self.style.ERROR, "error": self.style.ERROR}[outcome]
        return style(f"{text:<6}")
