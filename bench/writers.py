"""Concurrent writers on PostgreSQL: the write pipeline driven directly from 1, 4 and 16 connections.

    python bench/writers.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    python bench/writers.py --database-url ... --connections 1 4 16 --seconds 10 --out results.json

Each writer is a process of its own with its own database connection (not
gunicorn's two workers, which cannot overlap more than two writes). In a
scratch database seeded with --tickets demo tickets, every operation is one
transaction that creates a ticket (all in the same summary bucket: today,
open, medium, unassigned) and changes the status of another ticket (each
writer owns its own tickets, so no two writers want the same ticket row).
Whatever makes writers wait for each other here is a row that every write
updates. A monitor samples `pg_stat_activity` every 5 ms and reports how many
of the writers were waiting for a lock, on average: 0 means nobody waited.

Reports, per connection count: operations per second, p50 and p95 latency,
and the lock-wait share (mean waiting writers / writers).
"""

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.harness import manage, postgres_database, server_env  # noqa: E402

SAMPLE_SECONDS = 0.005


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", required=True, help="A PostgreSQL server (a scratch database on it)."
    )
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=10.0, help="Measured time per connection count.")
    parser.add_argument("--tickets", type=int, default=10_000, help="Demo tickets seeded first.")
    parser.add_argument("--out", type=Path, help="Write the figures as JSON here too.")
    args = parser.parse_args(argv)
    url, drop = postgres_database(args.database_url)
    try:
        env = server_env(url, DJANGO_SETTINGS_MODULE="config.settings")
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo", "--tickets", str(args.tickets), "--no-users", "--force")
        os.environ.update(env)
        import django

        django.setup()
        results = [measure(count, args.seconds) for count in args.connections]
    finally:
        from django.db import connections

        connections.close_all()
        drop()
    print(f"{'writers':>7} {'ops/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'lock-wait share':>16}")
    for row in results:
        print(
            f"{row['connections']:>7} {row['ops_per_second']:>8.1f} {row['p50_ms']:>8.1f} "
            f"{row['p95_ms']:>8.1f} {row['lock_wait_share']:>16.1%}"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def measure(count: int, seconds: float) -> dict:
    """Run `count` writer processes for `seconds`; their merged latencies and the lock-wait samples."""
    from django.db import connection, connections

    from tickets.models import Ticket

    ids = list(Ticket.objects.order_by("id").values_list("id", flat=True)[: count * 50])
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Event()
    queue = context.Queue()
    writers = [
        context.Process(target=writer, args=(ids[n::count], start, seconds, queue)) for n in range(count)
    ]
    for process in writers:
        process.start()
    samples: list[int] = []
    stop = threading.Event()

    def monitor() -> None:
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                samples.append(cursor.fetchone()[0])
                time.sleep(SAMPLE_SECONDS)
        connection.close()

    watcher = threading.Thread(target=monitor)
    time.sleep(1.0)  # writers connect and warm up
    watcher.start()
    start.set()
    latencies = []
    for _ in writers:
        latencies.extend(queue.get())
    stop.set()
    watcher.join()
    for process in writers:
        process.join()
    latencies.sort()
    return {
        "connections": count,
        "operations": len(latencies),
        "ops_per_second": len(latencies) / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "lock_wait_share": (statistics.fmean(samples) / count) if samples else 0.0,
    }


def writer(own_ids: list[int], start, seconds: float, queue) -> None:
    """One writer: create a ticket and change one of its own tickets, one transaction each time."""
    from django.db import connection, transaction

    from tickets import services
    from tickets.audit import Actor
    from tickets.models import Ticket

    actor = Actor("system", None, "bench-writer")
    statuses = ["in_progress", "open"]
    own = list(Ticket.objects.filter(pk__in=own_ids).exclude(priority="low"))

    def operation(n: int) -> None:
        with transaction.atomic():
            services.ticket_create(actor=actor, source="system", title=f"Writer {os.getpid()} #{n}")
            ticket = own[n % len(own)]
            ticket.refresh_from_db()
            services.ticket_update(ticket, actor=actor, source="system", status=statuses[n % 2])

    for n in range(5):  # connection, rule cache
        operation(-1 - n)
    start.wait()
    latencies = []
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        operation(n)
        latencies.append(time.perf_counter() - began)
        n += 1
    connection.close()
    queue.put(latencies)


if __name__ == "__main__":
    sys.exit(main())
