"""Benchmark `manage.py run_regression` on a seeded database of its own.

    python bench/regression.py                         # SQLite, 100,000 tickets, 5 runs
    python bench/regression.py --tickets 1000000       # the figure the 2 s budget is about
    python bench/regression.py --database-url postgres://postgres@127.0.0.1:5432/postgres

It builds a scratch database (a SQLite file in a temporary directory, or a
PostgreSQL database created next to the one the URL names and dropped
afterwards), migrates it, seeds it with `seed_demo --tickets N --force`, then
runs the command several times as a real process and reports the medians:
each check's `duration_ms` (from the run's JSON), all checks together, the
command's wall time (Python and Django start-up included) and the command's
peak memory. On PostgreSQL the tickets table is VACUUM ANALYZEd after
seeding, as autovacuum would have done to a table in service.
"""

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 2.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="Tickets to seed (default 100,000).")
    parser.add_argument("--runs", type=int, default=5, help="Times to run the command (default 5).")
    parser.add_argument(
        "--database-url",
        help="A PostgreSQL server URL; a scratch database is created on it and dropped. Default: SQLite.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database and logs.")
    args = parser.parse_args(argv)
    if args.tickets < 0 or args.runs < 1:
        parser.error("--tickets must be >= 0 and --runs >= 1")

    workdir = Path(tempfile.mkdtemp(prefix="triage-bench-regression-"))
    scratch = ScratchDatabase(args.database_url, workdir)
    try:
        env = {
            **os.environ,
            "DATABASE_URL": scratch.url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_SSL": "0",
            "TRIAGE_LOG_DIR": str(workdir / "test_logs"),
        }
        manage(env, "migrate", "--no-input", "-v", "0")
        started = time.perf_counter()
        manage(env, "seed_demo", "--tickets", str(args.tickets), "--force", "--no-users")
        seeded = time.perf_counter() - started
        scratch.analyze()
        runs = [run_once(env) for _ in range(args.runs)]
        report(args, scratch.vendor, seeded, runs)
    finally:
        if args.keep:
            print(f"Kept: {workdir} ({scratch.url})")
        else:
            scratch.drop()
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(run["exit_code"] == 0 for run in runs) else 1


class ScratchDatabase:
    """The benchmark's own database: a SQLite file in `workdir`, or a new PostgreSQL database."""

    def __init__(self, server_url: str | None, workdir: Path):
        self.server_url = server_url
        if not server_url:
            self.vendor = "sqlite"
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            return
        self.vendor = "postgresql"
        self.name = f"triage_bench_regression_{os.getpid()}"
        parts = urlsplit(server_url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self._admin(f'CREATE DATABASE "{self.name}"')

    def _admin(self, statement: str, url: str | None = None) -> None:
        import psycopg

        with psycopg.connect(url or self.server_url, autocommit=True) as connection:
            connection.execute(statement)

    def analyze(self) -> None:
        if self.vendor == "postgresql":
            self._admin("VACUUM ANALYZE tickets", url=self.url)

    def drop(self) -> None:
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def manage(env: dict, *args: str) -> None:
    """Run a management command to completion, failing loudly."""
    subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=env, check=True)  # noqa: S603


def run_once(env: dict) -> dict:
    """One `run_regression --format json`: wall time, peak memory, and the run's own figures."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "run_regression", "--format", "json"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
    )
    output = process.stdout.read()
    process.stdout.close()
    # wait4 gives this child's own resource usage (its peak memory), not all children's.
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    log = json.loads(output)
    return {
        "exit_code": process.returncode,
        "wall_s": wall,
        "peak_mb": usage.ru_maxrss / 1024,
        "checks": {check["name"]: check["duration_ms"] for check in log["checks"]},
        "outcome": log["outcome"],
    }


def report(args, vendor: str, seeded: float, runs: list[dict]) -> None:
    """Print the medians, one line per check, and the verdict against the budget."""
    names = list(runs[0]["checks"])
    checks_total = [sum(run["checks"].values()) / 1000 for run in runs]
    print(
        f"\nrun_regression on {vendor}, {args.tickets:,} tickets (seeded in {seeded:.1f} s), {len(runs)} runs"
    )
    print(f"{'check':<22}{'median ms':>12}")
    for name in names:
        print(f"{name:<22}{statistics.median(run['checks'][name] for run in runs):>12.1f}")
    total = statistics.median(checks_total)
    share = f"{total / BUDGET_SECONDS:.0%} of the {BUDGET_SECONDS:.0f} s budget"
    print(f"{'all checks':<22}{total * 1000:>12.1f}   ({share})")
    print(f"{'command wall time':<22}{statistics.median(run['wall_s'] for run in runs) * 1000:>12.1f}")
    print(f"{'peak memory (MB)':<22}{max(run['peak_mb'] for run in runs):>12.1f}")
    outcomes = sorted({run["outcome"] for run in runs})
    print(f"outcomes: {', '.join(outcomes)}; exit codes: {sorted({run['exit_code'] for run in runs})}")


if __name__ == "__main__":
    sys.exit(main())
