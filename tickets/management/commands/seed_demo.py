"""`python manage.py seed_demo`: the three demo users and N realistic tickets."""

import multiprocessing
import os
import resource
import sys
import time
from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from tickets import roles
from tickets.audit import Actor, acting_as
from tickets.demo import DemoData
from tickets.models import Ticket
from tickets.pipeline import TicketChange, write_tickets
from tickets.rows import indexes_deferred, refresh_planner_statistics, reserve_ticket_ids

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo login, refused in production
DEMO_USERS = (
    ("admin", roles.ADMIN, {"is_staff": True, "is_superuser": True}),
    ("analyst", roles.ANALYST, {"is_staff": True, "is_superuser": False}),
    ("support", roles.SUPPORT, {"is_staff": False, "is_superuser": False}),
)
SEED_ACTOR = Actor("system", None, "seed_demo")
DEFER_INDEXES_FROM = 50_000


class Command(BaseCommand):
    help = "Create the demo users (password 'demo') and N realistic tickets with the rules applied."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100, help="How many tickets (default 100).")
        parser.add_argument(
            "--days", type=int, default=30, help="Spread them over the last D days (default 30)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed; the same seed gives the same tickets."
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Tickets per transaction.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (production).")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when tickets already exist.")
        parser.add_argument("--no-users", action="store_true", help="Do not create the demo users.")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes preparing batches at once (default: 2 for 20,000 tickets or more, else 1).",
        )

    def handle(self, *args, tickets, days, seed, batch_size, force, if_empty, no_users, workers, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to seed demo data (and users with the password 'demo') with DEBUG off. "
                "This looks like production; pass --force if you really mean it."
            )
        if tickets < 0 or days < 1 or batch_size < 1:
            raise CommandError("--tickets must be >= 0, --days and --batch-size >= 1.")
        if if_empty and Ticket.objects.exists():
            self.stdout.write("Tickets already exist; nothing seeded.")
            return
        if not no_users:
            self.ensure_users()
        started = time.monotonic()
        if workers is None:
            workers = min(2, os.cpu_count() or 1) if tickets >= 20_000 else 1
        # Into an empty table, building the indexes once at the end is much
        # faster than keeping seven of them up to date row by row.
        defer = tickets >= DEFER_INDEXES_FROM and not Ticket.objects.exists()
        with indexes_deferred(Ticket) if defer else nullcontext():
            made = self.seed_tickets(tickets, days=days, seed=seed, batch_size=batch_size, workers=workers)
        if made:
            refresh_planner_statistics()
        elapsed = time.monotonic() - started
        peak_mb = (
            max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
            / 1024
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {made:,} tickets in {elapsed:.1f} s "
                f"({made / elapsed if elapsed else 0:,.0f}/s, peak memory {peak_mb:.0f} MB)."
            )
        )

    def ensure_users(self) -> None:
        """The three demo logins, each in its role's group, password 'demo'."""
        User = get_user_model()
        for username, role, flags in DEMO_USERS:
            user, _ = User.objects.update_or_create(username=username, defaults=flags)
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0]])

    def seed_tickets(self, count: int, *, days: int, seed: int, batch_size: int, workers: int) -> int:
        """Insert `count` tickets in batches, in `workers` processes at once."""
        data = DemoData(
            seed=seed,
            days=days,
            total=count,
            now=timezone.now(),
            closed_window_days=settings.TRIAGE_STATUS_WINDOW_DAYS,
            zone=timezone.get_default_timezone(),
        )
        # Every id is taken up front, so batch i gets the same ids whichever
        # process writes it: the same seed always gives the same tickets.
        first_id = reserve_ticket_ids(count)[0] if count else 0
        batches = range(0, count, batch_size)
        progress = Progress(count)
        if workers <= 1 or len(batches) <= 1:
            for start in batches:
                progress.update(
                    progress.done + seed_batch(data, start, min(batch_size, count - start), first_id)
                )
        else:
            connections.close_all()  # each process opens its own connection
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_worker_started) as pool:
                jobs = [(data, start, min(batch_size, count - start), first_id) for start in batches]
                for made in pool.imap_unordered(_seed_batch_job, jobs):
                    progress.update(progress.done + made)
        progress.finish()
        return count


def seed_batch(data: DemoData, start: int, size: int, first_id: int) -> int:
    """Create tickets start..start+size of the run, then make their later changes: two batches.

    Both go through the write pipeline like any other write, so the rules,
    the audit trail and the dashboard summary see exactly what a person
    creating and later changing these tickets would have made.
    """
    connection = connections["default"]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # A larger page cache keeps the indexes' hot pages in memory while
            # a million rows go in (128 MiB, released when the process ends).
            cursor.execute("PRAGMA cache_size = -131072")
    demos = data.batch(start, size)
    ids = range(first_id + start, first_id + start + size)
    creates = [
        TicketChange.create(
            {"title": demo.title, "description": demo.description, "priority": demo.priority},
            ticket_id=ticket_id,
            when=demo.created_at,
        )
        for ticket_id, demo in zip(ids, demos, strict=True)
    ]
    later = [
        TicketChange.update(ticket_id, demo.later, when=demo.later_at)
        for ticket_id, demo in zip(ids, demos, strict=True)
        if demo.later
    ]
    with acting_as(SEED_ACTOR, source="seed"):
        write_tickets(creates)
        write_tickets(later)
    return size


def _worker_started() -> None:
    """A seeding process's own PostgreSQL session need not wait for each commit's WAL flush.

    A crash may lose the last batches, each whole, never half of one (demo
    data: seed again); the setting ends with the process.
    """
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")


def _seed_batch_job(job) -> int:
    made = seed_batch(*job)
    return made


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, every 10% in a log."""

    def __init__(self, total: int, stream=None):
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.interactive = self.stream.isatty()
        self.last_tenth = -1
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        share = done / self.total
        tenth = int(share * 10)
        if not self.interactive and tenth == self.last_tenth:
            return
        self.last_tenth = tenth
        bar = "#" * int(share * 30)
        elapsed = time.monotonic() - self.started
        line = f"Seeding tickets [{bar:<30}] {done:,}/{self.total:,} {share:4.0%} {elapsed:5.1f} s"
        self.stream.write(line + ("\r" if self.interactive else "\n"))
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive:
            self.stream.write("\n")
