"""A smoke test of bench/alerts.py on a tiny storm (the real figures come from running it)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "alerts.py"


def test_the_benchmark_serves_groups_and_storms_and_checks_them(tmp_path):
    out = tmp_path / "alerts.json"
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(BENCH), "--group", "20", "--rounds", "1", "--storm-alerts", "160",
         "--storm-deliveries", "8", "--senders", "4", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(out.read_text())
    assert figures["backend"] == "sqlite"
    assert figures["group"]["failed"] == [] and figures["group"]["rows_written_by_repeats"] == 0
    assert figures["storm_distinct"]["tickets_created"] == 160
    assert figures["storm_replicas"]["tickets_created"] == 40  # each of 2 groups sent by all 4 senders
    for storm in ("storm_distinct", "storm_replicas"):
        assert figures[storm]["failed"] == [] and figures[storm]["duplicate_tickets"] == 0
    assert "a group of 20 firing alerts, one POST" in result.stdout
