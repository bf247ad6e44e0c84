"""A smoke test of bench/rules.py on tiny rounds (the real figure comes from running it)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "rules.py"


def test_the_benchmark_compares_batch_writes_with_and_without_the_rules():
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(BENCH), "--tickets", "40", "--rounds", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "batch writes on sqlite, 2 rounds of 40 demo tickets (medians, µs a ticket)"
    for label in ("with the rules", "without the rules", "the rules add", "the engine alone"):
        assert any(line.strip().startswith(label) for line in lines), label
