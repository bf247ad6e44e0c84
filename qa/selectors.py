"""Read-only views of stored regression runs, for other apps (the dashboard)."""

from qa.models import RegressionRun


def latest_run_summary() -> dict | None:
    """The latest run in the dashboard's shape, or None when nothing ran yet.

    `{"ran_at", "passed", "checks": [{"name", "passed", "violations"}]}`, plus an `outcome`
    for the run and each check (`passed`, `failed`, or `error` when it could not run, so that a
    crash is not shown as a failure with no violations); two queries.
    """
    run = RegressionRun.objects.filter(finished_at__isnull=False).order_by("-started_at", "-id").first()
    if run is None:
        return None
    return {
        "ran_at": run.finished_at.isoformat(),
        "passed": run.passed,
        "outcome": run.outcome,
        "checks": [
            {"name": name, "passed": passed, "violations": violations, "outcome": outcome}
            for name, passed, violations, outcome in run.checks.order_by("id").values_list(
                "name", "passed", "violations", "outcome"
            )
        ],
    }
