"""The regression runs as stored, read back after a run is started or refused."""

from qa.models import CheckResult, RegressionRun


def stored_runs() -> list[tuple]:
    """Every stored run, oldest first: (outcome, violations, triggered by, its checks' results).

    A check's result is (name, outcome, violations, offending ids).
    """
    runs = []
    for run in RegressionRun.objects.order_by("started_at", "id"):
        checks = run.checks.order_by("id").values_list("name", "outcome", "violations", "ids")
        runs.append((run.outcome, run.violations, run.triggered_by, list(checks)))
    return runs


def every_run_row() -> tuple[list[dict], list[dict]]:
    """Every run row and every check-result row, field by field: what a refused request must leave."""
    return (
        list(RegressionRun.objects.order_by("id").values()),
        list(CheckResult.objects.order_by("id").values()),
    )
