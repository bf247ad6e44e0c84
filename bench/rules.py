"""What the automation rules add to the bulk path, per ticket.

    python bench/rules.py                      # SQLite, 5 rounds of 5,000 demo tickets
    python bench/rules.py --database-url postgres://postgres@127.0.0.1:5432/postgres

In a database of its own (a SQLite file in a temp dir, or a scratch
PostgreSQL database, dropped afterwards), it writes rounds of demo tickets
(the seed's: a batch of creates, then a batch of their later changes)
through the write pipeline, once with the automation app's receivers
connected and once without them, in alternating rounds so that both see the
same machine. The difference of the medians is what the rules cost: the
engine on every creation and later change, the rules' audit entries and the
automation log rows. The engine alone (the receiver before the write, no
database) is timed too.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import postgres_database, server_env  # noqa: E402

TARGET_US = 50


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5_000, help="Tickets per round (default 5,000).")
    parser.add_argument("--rounds", type=int, default=5, help="Rounds with and without rules (default 5).")
    parser.add_argument(
        "--database-url", help="A PostgreSQL server (a scratch database on it); default SQLite."
    )
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.rounds < 1:
        parser.error("--tickets and --rounds must be >= 1")
    with tempfile.TemporaryDirectory(prefix="triage-bench-rules-") as scratch:
        if args.database_url:
            url, drop = postgres_database(args.database_url)
        else:
            url, drop = f"sqlite:///{scratch}/rules.sqlite3", (lambda: None)
        try:
            os.environ.update(server_env(url, DJANGO_SETTINGS_MODULE="config.settings"))
            return measure(args.tickets, args.rounds)
        finally:
            from django.db import connections

            connections.close_all()
            drop()


def measure(size: int, rounds: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tickets.demo import DemoData

    call_command("migrate", "--no-input", verbosity=0)
    data = DemoData(seed=1, days=30, total=size * rounds * 3, now=timezone.now(), closed_window_days=30)
    batches = iter(range(0, size * rounds * 3, size))

    def next_batch():
        return demo_tickets(data, next(batches), size)

    with_rules, without_rules, engine_only = [], [], []
    insert(next_batch())  # warm-up: caches, the rulebook, the first pages
    for _ in range(rounds):
        with_rules.append(per_ticket_us(lambda: insert(next_batch()), size))
        with rules_disconnected():
            without_rules.append(per_ticket_us(lambda: insert(next_batch()), size))
        engine_only.append(engine_us(demo_tickets(data, 0, size)))
    rules_cost = statistics.median(with_rules) - statistics.median(without_rules)
    print(
        f"batch writes on {connection.vendor}, {rounds} rounds of {size:,} demo tickets "
        "(medians, µs a ticket)"
    )
    print(f"  with the rules        {statistics.median(with_rules):8.1f}   {spread(with_rules)}")
    print(f"  without the rules     {statistics.median(without_rules):8.1f}   {spread(without_rules)}")
    print(f"  the rules add         {rules_cost:8.1f}   (target < {TARGET_US} µs: {verdict(rules_cost)})")
    print(f"  the engine alone      {statistics.median(engine_only):8.1f}   {spread(engine_only)}")
    return 0


def demo_tickets(data, start: int, size: int) -> list:
    """The seed's tickets start..start+size: (create, later change or None) pairs of TicketChanges."""
    from tickets.pipeline import TicketChange

    batch = []
    for demo in data.batch(start, size):
        values = {"title": demo.title, "description": demo.description, "priority": demo.priority}
        batch.append((TicketChange.create(values, when=demo.created_at), demo.later, demo.later_at))
    return batch


def insert(batch: list) -> None:
    """Write the creates as one batch, then the later changes as another, as the seeder does."""
    from tickets.audit import Actor, acting_as
    from tickets.pipeline import TicketChange, write_tickets

    with acting_as(Actor("system", None, "bench"), source="seed"):
        writes = write_tickets([create for create, _, _ in batch])
        write_tickets(
            [
                TicketChange.update(write.ticket.pk, later, when=when)
                for write, (_, later, when) in zip(writes, batch, strict=True)
                if later
            ]
        )


def engine_us(batch: list) -> float:
    """The rules receiver alone on new tickets, as the pipeline calls it (no database)."""
    from django.utils import timezone

    from automation import receivers
    from tickets.audit import Actor
    from tickets.pipeline import open_write

    writes = [
        open_write(create, {}, actor=Actor("system", None, "bench"), source="seed", now=timezone.now())
        for create, _, _ in batch
    ]
    return per_ticket_us(lambda: receivers.apply_rules(sender=None, writes=writes), len(writes))


@contextmanager
def rules_disconnected():
    """The automation app's pipeline receivers off for the block."""
    from automation import receivers
    from tickets.signals import after_write, before_write

    pairs = [
        (before_write, receivers.apply_rules, "automation.apply_rules"),
        (after_write, receivers.log_firings, "automation.log_firings"),
    ]
    for signal, _, uid in pairs:
        signal.disconnect(dispatch_uid=uid)
    try:
        yield
    finally:
        for signal, receiver, uid in pairs:
            signal.connect(receiver, dispatch_uid=uid)


def per_ticket_us(work, count: int) -> float:
    began = time.perf_counter()
    work()
    return (time.perf_counter() - began) * 1e6 / count


def spread(values: list[float]) -> str:
    return f"[{min(values):.1f}-{max(values):.1f}]"


def verdict(cost: float) -> str:
    return "met" if cost < TARGET_US else "MISSED"


if __name__ == "__main__":
    raise SystemExit(main())
