"""The worker: delivery threads, one thread per periodic job, and a heartbeat, none waiting for another.

Delivery threads take queue rows of django-tasks' database backend
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, an exclusive
transaction on SQLite), run the task, and record its result. Any number of
workers on any number of hosts can share the queue.
"""

import logging
import os
import socket
import threading
import uuid

from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from notifications.models import WorkerBeat
from notifications.periodic import JOBS, PeriodicJob, run_if_due

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
# How often an idle delivery thread looks for work: the most a new message waits for a worker.
POLL_SECONDS = 0.25


def take_task(worker_id: str, *, look_first: bool = True) -> DBTaskResult | None:
    """Claim the next ready queue row, or None.

    With `look_first` (when the last look found nothing), a cheap read comes first, so that an
    idle poll takes no write lock; a busy thread goes straight to the claim.
    """
    ready = DBTaskResult.objects.ready().filter(backend_name="default")
    if look_first and not ready.exists():
        return None
    with exclusive_transaction():
        row = ready.get_locked()
        if row is None:
            return None
        row.claim(worker_id)
    return row


def run_task(row: DBTaskResult) -> None:
    """Run a claimed queue row's task and record how it ended."""
    try:
        task = row.task
        value = task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    except Exception as error:  # the queue row records the failure; the worker goes on
        log.exception("task %s (%s) failed", row.pk, row.task_path)
        row.set_failed(error)
        return
    row.set_successful(normalize_json(value))


def drain(worker_id: str = "inline", *, limit: int = 10_000) -> int:
    """Run ready queue rows in this thread until none is left (tests, benchmarks); how many ran."""
    count = 0
    while count < limit:
        row = take_task(worker_id)
        if row is None:
            return count
        run_task(row)
        count += 1
    return count


def beat(worker_id: str, started_at) -> None:
    """Record that this worker is alive (its own row: no two workers write the same one)."""
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "started_at": started_at,
                  "seen_at": timezone.now()},
    )  # fmt: skip


class Worker:
    """One worker process: `threads` delivery threads, a thread per periodic job, and a heartbeat."""

    def __init__(self, *, threads: int, jobs: dict[str, PeriodicJob] | None = None, with_jobs: bool = True):
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]
        self.thread_count = threads
        self.jobs = dict(JOBS if jobs is None else jobs) if with_jobs else {}
        self.stopping = threading.Event()
        self.started_at = timezone.now()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        beat(self.worker_id, self.started_at)
        targets = [("heartbeat", self._heartbeat, ())]
        targets += [(f"deliver-{n}", self._deliver, ()) for n in range(self.thread_count)]
        targets += [(f"job-{job.name}", self._periodic, (job,)) for job in self.jobs.values()]
        for name, target, args in targets:
            thread = threading.Thread(target=self._guarded, args=(target, *args), name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 15.0) -> None:
        """Ask every thread to finish what it is doing and stop, and wait for them."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)

    def run(self) -> None:
        """Start, then wait until stopped (a signal handler calls `stop`)."""
        self.start()
        while not self.stopping.wait(1.0):
            pass
        self.stop()

    def _guarded(self, target, *args) -> None:
        try:
            target(*args)
        finally:
            connections.close_all()

    def _heartbeat(self) -> None:
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            try:
                beat(self.worker_id, self.started_at)
            except Exception:  # a database blip must not kill the heartbeat; the next beat tries again
                log.exception("heartbeat failed")
                close_old_connections()

    def _deliver(self) -> None:
        busy = False
        while not self.stopping.is_set():
            try:
                row = take_task(self.worker_id, look_first=not busy)
                busy = row is not None
                if row is None:
                    self.stopping.wait(POLL_SECONDS)
                    continue
                run_task(row)
            except Exception:  # e.g. the database went away: wait, reconnect, go on
                log.exception("delivery thread: taking a task failed")
                connections.close_all()
                self.stopping.wait(1.0)

    def _periodic(self, job: PeriodicJob) -> None:
        while not self.stopping.is_set():
            try:
                run_if_due(job, worker_id=self.worker_id)
            except Exception:
                log.exception("periodic job %s: could not run", job.name)
                connections.close_all()
            # Wake at the next period's start (bounded, so a changed setting applies soon).
            seconds = job.seconds
            now = timezone.now().timestamp()
            self.stopping.wait(min(seconds - now % seconds + 0.05, 60.0))
