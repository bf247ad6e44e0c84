"""A smoke run of bench/load.py: gunicorn, a second of mixed load, one round of each retry storm.

On the suite's PostgreSQL (DATABASE_URL set) it runs on a scratch PostgreSQL
database made next to it; otherwise on a scratch SQLite file. The figures
come from running the benchmark itself (see the README).
"""

import os
import subprocess
import sys

from bench.harness import ROOT
from bench.load import MIX


def test_the_load_benchmark_holds_and_its_storms_make_no_duplicate():
    database = os.environ.get("DATABASE_URL", "")
    target = ["--postgres", database, "--no-sqlite"] if database.startswith("postgres") else []
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.load", "--tickets", "30", "--duration", "1", "--threads", "2",
         "--warmup", "1", "--storm", "4", "--rounds", "1", *target],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for kind in [*MIX, "all"]:
        (row,) = [line for line in lines if line.startswith(f"  {kind:<16}")]
        requests, errors = int(row[18:27]), int(row.split()[-1])
        assert (requests > 0 or kind != "all", errors) == (True, 0), row
    storms = [line for line in lines if "storm" in line]
    assert len(storms) == 2 and all("tickets made: 1 (ok)" in line for line in storms), storms
