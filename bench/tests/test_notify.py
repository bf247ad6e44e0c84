"""A smoke test of bench/notify.py on tiny numbers (the real figures come from running it)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "notify.py"


def test_the_benchmark_measures_latency_drain_and_the_cost_of_a_notify_rule():
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(BENCH), "--saves", "3", "--drain", "20", "--rounds", "1", "--seconds", "1",
         "--redis-url", ""],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("notifications on sqlite")
    for label in ("save -> receiver's answer, 3 saves", "drain 20 queued deliveries", "with the notify rule",
                  "without it", "the rule costs"):  # fmt: skip
        assert label in out, out
