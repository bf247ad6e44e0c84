"""What the automation rules add to the bulk path, per ticket.

    python bench/rules.py                      # SQLite, 5 rounds of 5,000 demo tickets
    python bench/rules.py --database-url postgres://postgres@127.0.0.1:5432/postgres

In a database of its own (a SQLite file in a temp dir, or a scratch
PostgreSQL database, dropped afterwards), it inserts rounds of demo tickets
(the seed's, later history included) with `bulk_create_tickets`, once with
the automation app's bulk receivers connected and once without them, in
alternating rounds so that both see the same machine. The difference of the
medians is what the rules cost: the engine on every creation and later
change, the rule's audit entries and the automation log rows. The engine
alone (the receiver before the insert, no database) is timed too.
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
        f"bulk path on {connection.vendor}, {rounds} rounds of {size:,} demo tickets (medians, µs a ticket)"
    )
    print(f"  with the rules        {statistics.median(with_rules):8.1f}   {spread(with_rules)}")
    print(f"  without the rules     {statistics.median(without_rules):8.1f}   {spread(without_rules)}")
    print(f"  the rules add         {rules_cost:8.1f}   (target < {TARGET_US} µs: {verdict(rules_cost)})")
    print(f"  the engine alone      {statistics.median(engine_only):8.1f}   {spread(engine_only)}")
    return 0


def demo_tickets(data, start: int, size: int) -> list:
    """The seed's tickets start..start+size, unsaved, with their later history."""
    from tickets.models import Ticket

    tickets = []
    for demo in data.batch(start, size):
        ticket = Ticket(
            title=demo.title, description=demo.description, priority=demo.priority,
            created_at=demo.created_at, updated_at=demo.created_at,
        )  # fmt: skip
        ticket.history = [(demo.later_at, demo.later)] if demo.later else []
        tickets.append(ticket)
    return tickets


def insert(tickets: list) -> None:
    from tickets.audit import Actor, acting_as
    from tickets.bulk import bulk_create_tickets

    with acting_as(Actor("system", None, "bench"), source="seed"):
        bulk_create_tickets(tickets)


def engine_us(tickets: list) -> float:
    """The rules receiver alone on new tickets, as the bulk path calls it (no database)."""
    from automation import receivers
    from tickets.audit import Actor, TicketWrite

    for ticket in tickets:
        state = ticket.state()
        ticket.current_write = TicketWrite(
            actor=Actor("system", None, "bench"), source="seed", stored=None, proposed=state,
            when=ticket.created_at,
        )  # fmt: skip
    apply = receivers.apply_rules_before_bulk
    return per_ticket_us(lambda: apply(sender=None, tickets=tickets), len(tickets))


@contextmanager
def rules_disconnected():
    """The automation app's bulk receivers off for the block (the single-save ones are not used)."""
    from automation import receivers
    from tickets import signals

    pairs = [
        (getattr(signals, f"tickets_{when}_bulk_{kind}"), receiver, f"automation.{name}_bulk_{kind}")
        for when, receiver, name in (
            ("pre", receivers.apply_rules_before_bulk, "apply_rules"),
            ("post", receivers.log_firings_after_bulk, "log_firings"),
        )
        for kind in ("create", "update")
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
