"""Benchmark the API and the webhook through a real WSGI server (gunicorn, two workers).

    python -m bench.api                          # SQLite, 10,000 tickets, about a minute
    python -m bench.api --postgres postgres://postgres@127.0.0.1:5432/postgres
    python -m bench.api --tickets 1000000 --duration 15
    python -m bench.api --existing sqlite:////tmp/triage-1m.sqlite3   # a database seeded once

For each database it builds a fresh one of its own (a SQLite file in a temp
dir; on PostgreSQL a temporary database on the given server, dropped at the
end), migrates, seeds it with `seed_demo`, starts gunicorn on a loopback port
with DEBUG off, and drives it with a small load generator (threads, each with
its own http.client connection, for a fixed time). One run reports: the bare
DRF view's requests/s (the ceiling), list latency p50/p95, creates/s and
webhook deliveries/s, with their ratios to the ceiling.
"""

import argparse
import json
import os
import random
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

from automation.signatures import sign
from bench.harness import (
    Phase,
    drive,
    free_port,
    manage,
    postgres_database,
    server_env,
    start_server,
    stop_server,
)

PORT_RANGE = range(8101, 8200)


def run(label: str, database_url: str, args, workdir: Path, *, seed: bool = True) -> list[Phase]:
    """Build, seed and serve one database (unless `seed` is off); measure every phase against it."""
    env = server_env(database_url)
    manage(env, "migrate", "--no-input")
    if seed:
        print(f"== {label}: seeding {args.tickets:,} tickets", flush=True)
        began = time.perf_counter()
        manage(env, "seed_demo", "--tickets", str(args.tickets), "--force", "--seed", "1")
        print(f"   seeded in {time.perf_counter() - began:.1f} s", flush=True)
    token = re.search(r"Generated token (\w+)", manage(env, "drf_create_token", "analyst")).group(1)
    secret = manage(env, "create_integration", "bench-monitoring").strip()
    port = free_port(PORT_RANGE)
    server = start_server(env, port, args.workers, workdir / f"gunicorn-{label}.log")
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    run_id = secrets.token_hex(4)
    priorities = ("low", "medium", "medium", "high")

    def bare(index, n):
        return "GET", "/bench/bare", None, {}

    def listing(index, n):
        return "GET", "/api/tickets", None, auth

    def filtered(index, n):
        query = "status=open&status=in_progress&priority=high"
        return "GET", f"/api/tickets?{query}", None, auth

    def create(index, n):
        body = {"title": f"Bench {index}-{n}", "priority": random.choice(priorities), "description": "load"}
        return "POST", "/api/tickets", json.dumps(body).encode(), auth

    def deliver(index, n):
        webhook_id = f"bench-{run_id}-{index}-{n}"
        timestamp = int(time.time())
        body = json.dumps({"title": f"Alert {index}-{n}", "priority": random.choice(priorities)}).encode()
        headers = {
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, webhook_id, timestamp, body),
        }
        return "POST", "/webhook/ticket", body, headers

    load = dict(port=port, threads=args.threads, duration=args.duration, max_requests=args.max_requests)
    # Latency is measured one request at a time: with more clients than workers, a
    # request's time would mostly be its wait in the queue.
    one_at_a_time = {**load, "threads": 1}
    try:
        phases = [
            drive("bare DRF view (ceiling)", bare, expected={200}, **load),
            drive("list, page 1 (50) [1 client]", listing, expected={200}, **one_at_a_time),
            drive("list, filtered [1 client]", filtered, expected={200}, **one_at_a_time),
            drive("create (POST /api/tickets)", create, expected={201}, **load),
            drive("webhook delivery", deliver, expected={201}, **load),
        ]
    finally:
        stop_server(server)
    return phases


def report(label: str, phases: list[Phase], args) -> None:
    seeded = "an existing database" if getattr(args, "existing", None) else f"{args.tickets:,} seeded tickets"
    print(f"\n{label}: {seeded}, gunicorn {args.workers} workers, "
          f"{args.threads} client threads (list: 1), {args.duration:g} s per phase")  # fmt: skip
    print(f"  {'phase':<32}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for phase in phases:
        print(
            f"  {phase.name:<32}{len(phase.latencies):>9}{phase.rate:>9.1f}"
            f"{phase.percentile(0.5):>9.1f}{phase.percentile(0.95):>9.1f}{phase.errors:>8}"
        )
        for problem in phase.unexpected[:5]:
            print(f"    unexpected: {problem}")
    ceiling, _, _, create, webhook = phases
    for what, phase in (("creates/s", create), ("deliveries/s", webhook)):
        share = phase.rate / ceiling.rate if ceiling.rate else float("nan")
        print(f"  {what} {phase.rate:.1f} = {share:.0%} of the bare view (target >= 10%)")
    print(f"  list p50 {phases[1].percentile(0.5):.1f} ms (target < 30 ms with a million tickets)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000, help="Tickets to seed (default 10,000).")
    parser.add_argument("--duration", type=float, default=6.0, help="Seconds per phase (default 6).")
    parser.add_argument("--max-requests", type=int, default=50_000, help="Cap on requests per phase.")
    parser.add_argument("--threads", type=int, default=4, help="Client threads (default 4).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="Also run on PostgreSQL: a URL to a database on the server, from which a temporary "
        "database is created (and dropped at the end).",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="Only PostgreSQL.")
    parser.add_argument(
        "--existing",
        metavar="URL",
        help="Instead, measure this already seeded database (e.g. a million tickets seeded once); "
        "it gains the benchmark's tickets and is not dropped.",
    )
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as tmp:
        workdir = Path(tmp)
        if args.existing:
            results.append(("Existing database", run("existing", args.existing, args, workdir, seed=False)))
        elif not args.no_sqlite:
            results.append(("SQLite", run("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", args, workdir)))
        if args.postgres and not args.existing:
            url, drop = postgres_database(args.postgres)
            try:
                results.append(("PostgreSQL", run("PostgreSQL", url, args, workdir)))
            finally:
                drop()
    for label, phases in results:
        report(label, phases, args)
    print(f"\n(one run; median of one run's latencies; machine: {os.cpu_count()} cores, shared)")
    return 0 if all(phase.errors == 0 for _, phases in results for phase in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
