"""`python manage.py run_worker`: deliver notifications and run the periodic jobs until stopped."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications.worker import Worker


class Command(BaseCommand):
    help = "Run a worker: notification deliveries, periodic jobs (sweep, digests, pruning) and a heartbeat."

    def add_arguments(self, parser):
        parser.add_argument(
            "--threads", type=int, default=None,
            help="Delivery threads (default TRIAGE_WORKER_THREADS, 4).",
        )  # fmt: skip
        parser.add_argument("--no-periodic", action="store_true", help="Deliver only; run no periodic job.")

    def handle(self, *args, threads=None, no_periodic=False, **options):
        threads = threads or settings.TRIAGE_WORKER_THREADS
        if threads < 1:
            self.stderr.write("--threads must be 1 or more.")
            raise SystemExit(2)
        worker = Worker(threads=threads, with_jobs=not no_periodic)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: worker.stopping.set())
        self.stdout.write(f"Worker {worker.worker_id}: {threads} delivery threads, "
                          f"jobs: {', '.join(worker.jobs) or 'none'}. Ctrl-C stops it.")  # fmt: skip
        self.stdout.flush()
        worker.run()
        self.stdout.write("Worker stopped.")
