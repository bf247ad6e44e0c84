"""A smoke test of bench/regression.py on a tiny database (the real figures come from running it)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "regression.py"


def test_the_benchmark_runs_end_to_end_and_reports_medians():
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(BENCH), "--tickets", "60", "--runs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("run_regression on sqlite, 60 tickets") for line in lines)
    for name in (
        "workflow_automation",
        "status_integrity",
        "priority_escalation",
        "data_consistency",
        "audit_chain",
    ):
        assert any(line.startswith(name) for line in lines)
    assert "outcomes: passed; exit codes: [0]" in lines
